using FunctionsChat.Delivery;
using Microsoft.Extensions.DependencyInjection;
using static FunctionsChat.Tests.Functions.FakeClockDriver;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// In a busy room a poll that has messages answers once the oldest is <c>PollLingerMilliseconds</c> old, so one
/// answer carries a burst; in a quiet room it answers at once.
/// </summary>
public sealed class LingerTests
{
    private readonly ChatTestApp app = new(new Dictionary<string, string?>
    {
        ["Chat:PollLingerMilliseconds"] = "400",
        ["Chat:PollFirstPauseMilliseconds"] = "30000",
        ["Chat:PollBackoffCapMilliseconds"] = "30000",
    });

    [Fact]
    public async Task AQuietRoomsMessageIsAnsweredAtOnce()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1);

        await app.SendTextAsync(alice, "hello");

        Assert.Equal(["hello"], (await poll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
    }

    [Fact]
    public async Task InABusyRoomAnAnswerWaitsUntilItsOldestMessageIsTheLingerOldAndCarriesWhatCameMeanwhile()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        await BusyTheRoomAsync(alice, bob);

        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await app.SendTextAsync(alice, "three");
        await app.SendTextAsync(alice, "four");
        await Task.Delay(100);
        Assert.False(poll.IsCompleted);

        var start = app.Clock.GetUtcNow();
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(50));

        Assert.Equal(["three", "four"], response.MessageTexts);
        Assert.InRange(app.Clock.GetUtcNow() - start, TimeSpan.FromMilliseconds(400), TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task ALingeringAnswerWhoseCallerLeftPutsItsMessagesBackForTheNextPoll()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        await BusyTheRoomAsync(alice, bob);
        using var callerGone = new CancellationTokenSource();

        var poll = app.PollAsync("lobby", bob.Token, "timeout=30", requestAborted: callerGone.Token);
        await app.SendTextAsync(alice, "kept");
        await Task.Delay(100);
        Assert.False(poll.IsCompleted);
        await callerGone.CancelAsync();
        await poll.WaitAsync(TimeSpan.FromSeconds(10));

        var next = await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", bob.Token, "timeout=5"), TimeSpan.FromMilliseconds(100));
        Assert.Equal(["kept"], next.MessageTexts);
    }

    /// <summary>
    /// Two messages while Bob polls, each answered at once: the room was quiet until then. The clock stands still, so
    /// the room's watch (started by the first poll) still counts them when the next message comes.
    /// </summary>
    private async Task BusyTheRoomAsync(Joined alice, Joined bob)
    {
        var watcher = app.Services.GetRequiredService<RoomWatcher>();
        foreach (var text in new[] { "one", "two" })
        {
            var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
            await WaitUntilAsync(() => watcher.Epoch("lobby") is not null);
            await app.SendTextAsync(alice, text);
            Assert.Equal([text], (await poll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
        }
    }
}
