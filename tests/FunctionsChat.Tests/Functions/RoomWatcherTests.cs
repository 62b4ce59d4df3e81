using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// The room watcher wakes the polls waiting on this instance when another instance's message appears in history.
/// "Another instance" here: a message written straight to the fakes, which no signal of this instance announces.
/// </summary>
public sealed class RoomWatcherTests
{
    // Back-off far longer than the test's clock moves: only the watcher can end the poll.
    private readonly ChatTestApp app = new(new Dictionary<string, string?>
    {
        ["Chat:PollFirstPauseMilliseconds"] = "30000",
        ["Chat:PollBackoffCapMilliseconds"] = "30000",
        ["Chat:RoomWatchIntervalMilliseconds"] = "1000",
    });

    [Fact]
    public async Task AMessageFromAnotherInstanceWakesAWaitingPollWithinAboutOneInterval()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1 && app.History.QueryCalls >= 1);
        var start = app.Clock.GetUtcNow();

        await SendFromAnotherInstanceAsync(alice, "from elsewhere", bob);
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));

        Assert.Equal(["from elsewhere"], response.MessageTexts);
        Assert.InRange(app.Clock.GetUtcNow() - start, TimeSpan.Zero, TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task AWakeThatFindsTheQueueStillEmptyLooksAgainSoon()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1 && app.History.QueryCalls >= 1);
        var start = app.Clock.GetUtcNow();

        // History first, the queue a moment later: the fan-out of the other instance is still on its way.
        var message = await StoreAsync(alice, "slow fan-out");
        await AdvanceAsync(TimeSpan.FromMilliseconds(1500));
        await DeliverAsync(message, bob);
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));

        Assert.Equal(["slow fan-out"], response.MessageTexts);
        Assert.InRange(app.Clock.GetUtcNow() - start, TimeSpan.Zero, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task AMessageSentHereThatWaitsForItsRoundDoesNotWakeThePollsOfTheRoom()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var held = new HeldFirstPut(app.Inboxes);
        var send = ActivatorUtilities.CreateInstance<SendMessage>(app.Services, ActivatorUtilities.CreateInstance<MessageFanOut>(app.Services, (IInboxes)held));
        var firstPoll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1 && app.History.QueryCalls >= 1);

        // Round 1 hands "one" to Bob and hangs on its put to Alice's queue; "two" is stored and waits for round 2.
        var one = ChatTestApp.RunAsync(r => send.Run(r, "lobby", default), ChatTestApp.Request("POST", """{"text":"one"}""", alice.Token));
        Assert.Equal(["one"], (await firstPoll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
        await held.FirstPutHeld.WaitAsync(TimeSpan.FromSeconds(10));
        var two = ChatTestApp.RunAsync(r => send.Run(r, "lobby", default), ChatTestApp.Request("POST", """{"text":"two"}""", alice.Token));
        await WaitUntilAsync(() => app.History.Count("lobby") == 2);
        var secondPoll = app.PollAsync("lobby", bob.Token, "timeout=30");
        var receives = app.Inboxes.ReceiveCalls;
        var reads = app.History.QueryCalls;

        // The watcher reads "two" from history: this instance's own, so no wake-up and no receive.
        await AdvanceUntilAsync(() => app.History.QueryCalls >= reads + 2);
        Assert.Equal(receives, app.Inboxes.ReceiveCalls);

        held.Release();
        Assert.Equal(["two"], (await secondPoll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
        await Task.WhenAll(one, two).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task TheWatcherReadsOnlyWhileAPollOfTheRoomWaits()
    {
        var bob = await app.JoinAsMemberAsync("lobby");
        Assert.Equal(0, app.History.QueryCalls);

        var response = await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", bob.Token, "timeout=5"), TimeSpan.FromMilliseconds(250));
        Assert.Empty(response.Messages);
        var readsWhileWaiting = app.History.QueryCalls;
        Assert.InRange(readsWhileWaiting, 2, 8);

        await AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(app.History.QueryCalls, readsWhileWaiting, readsWhileWaiting + 1);
    }

    private async Task SendFromAnotherInstanceAsync(Joined from, string text, Joined to) => await DeliverAsync(await StoreAsync(from, text), to);

    private async Task<ChatMessage> StoreAsync(Joined from, string text)
    {
        var (id, sentAt) = app.Services.GetRequiredService<MessageIds>().Next();
        var message = new ChatMessage(id, from.Room, from.UserId, from.Name, text, sentAt);
        await app.History.AppendAsync(message, null, default);
        return message;
    }

    private async Task DeliverAsync(ChatMessage message, Joined to)
    {
        var queue = (await app.Members.GetAsync(to.Room, to.UserId, default))!.QueueName;
        await app.Inboxes.DeliverAsync(queue, InboxPayload.Serialize([message]), TimeSpan.FromMinutes(5), default);
    }

    private async Task AdvanceAsync(TimeSpan total)
    {
        for (var passed = TimeSpan.Zero; passed < total; passed += TimeSpan.FromMilliseconds(100))
        {
            await Task.Delay(10);
            app.Clock.Advance(TimeSpan.FromMilliseconds(100));
        }
    }

    private async Task AdvanceUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(10);
            app.Clock.Advance(TimeSpan.FromMilliseconds(100));
        }
        Assert.True(condition());
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }
}
