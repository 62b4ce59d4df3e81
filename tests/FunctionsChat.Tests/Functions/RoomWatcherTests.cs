using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Delivery;
using Microsoft.Extensions.DependencyInjection;
using static FunctionsChat.Tests.Functions.FakeClockDriver;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// The room watcher wakes the polls waiting on this instance when another instance raises the room's signal after its
/// fan-out. "Another instance" here: a message written straight to the fakes and a signal under another writer's name.
/// </summary>
public sealed class RoomWatcherTests
{
    private const string OtherInstance = "otherinstance";
    private readonly List<SignalRound> otherRounds = [];

    // Back-off far longer than the test's clock moves: only the watcher can end the poll.
    private readonly ChatTestApp app = new(new Dictionary<string, string?>
    {
        ["Chat:PollFirstPauseMilliseconds"] = "30000",
        ["Chat:PollBackoffCapMilliseconds"] = "30000",
        ["Chat:RoomWatchIntervalMilliseconds"] = "100",
        ["Chat:RoomWatchIdleIntervalMilliseconds"] = "1000",
    });

    [Fact]
    public async Task AnotherInstancesFanOutWakesAWaitingPollWithinTheIdleInterval()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1 && app.Signals.ReadCalls >= 1);
        await app.Clock.AdvanceAsync(TimeSpan.FromSeconds(5)); // the quiet room's watch has slowed down to its idle pace
        var start = app.Clock.GetUtcNow();

        await FanOutFromAnotherInstanceAsync(alice, "from elsewhere", bob);
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));

        Assert.Equal(["from elsewhere"], response.MessageTexts);
        Assert.InRange(app.Clock.GetUtcNow() - start, TimeSpan.Zero, TimeSpan.FromMilliseconds(1100));
    }

    [Fact]
    public async Task InAnActiveRoomTheWakeComesWithinAboutTheActiveInterval()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var carol = await app.JoinAsMemberAsync("lobby");
        var first = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Signals.ReadCalls >= 1);
        await FanOutFromAnotherInstanceAsync(alice, "one", bob);
        Assert.Equal(["one"], (await app.AdvanceUntilDoneAsync(first, TimeSpan.FromMilliseconds(100))).MessageTexts);

        // Carol's poll keeps the room watched; the room has just had a message, so it is read at the fast pace.
        var second = app.PollAsync("lobby", carol.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 2);
        await app.Clock.AdvanceAsync(TimeSpan.FromMilliseconds(500));
        var start = app.Clock.GetUtcNow();
        await FanOutFromAnotherInstanceAsync(alice, "two", carol);
        var response = await app.AdvanceUntilDoneAsync(second, TimeSpan.FromMilliseconds(50));

        Assert.Equal(["two"], response.MessageTexts);
        Assert.InRange(app.Clock.GetUtcNow() - start, TimeSpan.Zero, TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public async Task ASignalRaisedWhileANewWatchsFirstReadIsUnderwayStillWakesThePoll()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var slowRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Signals.ReadsWaitFor = slowRead.Task;

        // Bob's first receive finds nothing; the other instance's put and signal land before the watch's first read
        // answers, so that read is the first to see the signal and must not take it for old news.
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1);
        await FanOutFromAnotherInstanceAsync(alice, "raced the first read", bob);
        app.Signals.ReadsWaitFor = null;
        slowRead.SetResult();
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100), maxSteps: 10);

        Assert.Equal(["raced the first read"], response.MessageTexts);
    }

    [Fact]
    public async Task ARoundThatPutNothingOnThisMembersQueueDoesNotMakeItsPollLook()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=10");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1 && app.Signals.ReadCalls >= 1);
        var receives = app.Inboxes.ReceiveCalls;

        // Another instance's round that put nothing on Bob's queue (it handed his copy over, say), then one that put
        // on Alice's only.
        await StoreAsync(alice, "not for this queue");
        await RaiseAsOtherInstanceAsync("lobby", []);
        await RaiseAsOtherInstanceAsync("lobby", [(await app.Members.GetAsync("lobby", alice.UserId, default))!.QueueName]);
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));

        // No look for either, and none at the deadline.
        Assert.Empty(response.Messages);
        Assert.True(app.Signals.ReadCalls > 2);
        Assert.Equal(receives, app.Inboxes.ReceiveCalls);
    }

    [Fact]
    public async Task ThisInstancesOwnSignalDoesNotWakeThePollsOfTheRoom()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=5");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1 && app.Signals.ReadCalls >= 1);
        var receives = app.Inboxes.ReceiveCalls;

        await StoreAsync(alice, "fanned out here");
        var bobsQueue = (await app.Members.GetAsync("lobby", bob.UserId, default))!.QueueName;
        await app.Signals.RaiseAsync("lobby", app.Services.GetRequiredService<ChatInstance>().Id,
            new WriterSignal(0, [new SignalRound(1, app.Clock.GetUtcNow(), [bobsQueue])]), default);
        var reads = app.Signals.ReadCalls;
        await app.Clock.AdvanceUntilAsync(() => app.Signals.ReadCalls >= reads + 2);

        Assert.Equal(receives, app.Inboxes.ReceiveCalls);
        Assert.Empty((await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(250))).Messages);
    }

    [Fact]
    public async Task EveryRoundRaisesTheSignalWithItsNewestMessageNamingOnlyTheQueuesItPutTo()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        var bobsQueue = (await app.Members.GetAsync("lobby", bob.UserId, default))!.QueueName;
        var alicesQueue = (await app.Members.GetAsync("lobby", alice.UserId, default))!.QueueName;
        await WaitUntilAsync(() => app.Services.GetRequiredService<WaitingPolls>().IsWaiting(bobsQueue));

        // Bob waits here and is handed the message; Alice is not polling, so her copy goes on her queue.
        var hello = await app.SendTextAsync(alice, "hello");
        Assert.Equal(201, hello.Status);
        Assert.Equal(["hello"], (await poll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
        var entry = Assert.Single(await app.Signals.ReadAsync("lobby", default));
        Assert.Equal(app.Services.GetRequiredService<ChatInstance>().Id, entry.Key);
        Assert.Equal([alicesQueue], entry.Value.Latest.PutTo!);
        Assert.Equal(hello.Json.RootElement.GetProperty("id").GetString(), entry.Value.LatestId);

        // A round that handed everything over still says how far the room got: other instances' answers report it.
        await app.LeaveAsync("lobby", alice.Token, alice.UserId);
        var handedOnly = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Services.GetRequiredService<WaitingPolls>().IsWaiting(bobsQueue));
        var onlyBob = await app.SendTextAsync(bob, "only Bob, and he is waiting");
        Assert.Single((await handedOnly.WaitAsync(TimeSpan.FromSeconds(10))).Messages);
        var latest = (await app.Signals.ReadAsync("lobby", default)).Single().Value;
        Assert.Empty(latest.Latest.PutTo!);
        Assert.Equal(onlyBob.Json.RootElement.GetProperty("id").GetString(), latest.LatestId);
    }

    [Fact]
    public async Task PollsThatAllAnswerAtOnceAndPollAgainStillSkipTheirFirstDequeueAttempt()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var polls = app.Services.GetRequiredService<WaitingPolls>();
        var bobsQueue = (await app.Members.GetAsync("lobby", bob.UserId, default))!.QueueName;
        var first = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => polls.IsWaiting(bobsQueue) && app.Inboxes.ReceiveCalls >= 1);
        await app.SendTextAsync(alice, "handed over");
        Assert.Single((await first.WaitAsync(TimeSpan.FromSeconds(10))).Messages);

        // Nobody waits in the room for a moment, long enough for the watcher to tick; then Bob polls again.
        await app.Clock.AdvanceAsync(TimeSpan.FromMilliseconds(300));
        var receives = app.Inboxes.ReceiveCalls;
        var second = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => polls.IsWaiting(bobsQueue));
        await Task.Delay(100);

        // His queue was found empty and nothing was put there since: no receive at the start of this poll.
        Assert.Equal(receives, app.Inboxes.ReceiveCalls);
        await app.SendTextAsync(alice, "again");
        Assert.Single((await second.WaitAsync(TimeSpan.FromSeconds(10))).Messages);
    }

    [Fact]
    public async Task AQuietRoomIsReadLessAndLessOftenAndNotAtAllOnceNobodyWaits()
    {
        var bob = await app.JoinAsMemberAsync("lobby");
        Assert.Equal(0, app.Signals.ReadCalls);

        var response = await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", bob.Token, "timeout=10"), TimeSpan.FromMilliseconds(100));
        Assert.Empty(response.Messages);
        // 100 ms doubling to 1 s over 10 s: about 13 reads; at the fast pace it would be 100.
        var readsWhileWaiting = app.Signals.ReadCalls;
        Assert.InRange(readsWhileWaiting, 8, 18);

        await app.Clock.AdvanceAsync(TimeSpan.FromSeconds(10));
        Assert.InRange(app.Signals.ReadCalls, readsWhileWaiting, readsWhileWaiting + 1);
    }

    [Fact]
    public async Task ASignalReadThatHangsIsGivenUpSoAnotherInstancesPutStillWakesThePollWithinSeconds()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var hang = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        app.Signals.ReadsWaitFor = hang.Task; // the watch's first read gets no answer, as a call stuck until its network timeout
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1);
        app.Signals.ReadsWaitFor = null;
        var start = app.Clock.GetUtcNow();

        await FanOutFromAnotherInstanceAsync(alice, "while the read hung", bob);
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));

        Assert.Equal(["while the read hung"], response.MessageTexts);
        // A second or two of fake time; room for a loaded machine, where the clock may run ahead of the loop. Without
        // the read's deadline the poll is woken by nothing and answers only at its 30 s timeout.
        Assert.InRange(app.Clock.GetUtcNow() - start, TimeSpan.Zero, DeliveryTimings.Default.WatchReadTimeout + TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task AHandOverReadThatHangsIsGivenUpSoTheWatcherStillWakesThePollWithinSeconds()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        // The watch's first read takes every hand-over stored for this instance: that call gets no answer.
        app.HandOvers.ReceivesWaitFor = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously).Task;
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.HandOvers.ReceiveCalls >= 1);
        app.HandOvers.ReceivesWaitFor = null;
        var start = app.Clock.GetUtcNow();

        await FanOutFromAnotherInstanceAsync(alice, "while the hand-over read hung", bob);
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));

        Assert.Equal(["while the hand-over read hung"], response.MessageTexts);
        Assert.InRange(app.Clock.GetUtcNow() - start, TimeSpan.Zero, DeliveryTimings.Default.WatchReadTimeout + TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task APollWhoseWatchCouldNotReadTheSignalLatelyLooksAtItsQueueBeforeItAnswers()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Signals.ReadCalls >= 1);
        // Storage answers nothing to this instance's reads for a while (every read fails); meanwhile another instance
        // puts a copy on Bob's queue, and then this instance hands Bob's poll a newer message.
        var failing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        failing.SetException(new StorageUnavailableException("Fake signal reads fail."));
        app.Signals.ReadsWaitFor = failing.Task;
        await FanOutFromAnotherInstanceAsync(alice, "put while reads failed", bob);
        await app.Clock.AdvanceAsync(TimeSpan.FromSeconds(3));
        var queue = (await app.Members.GetAsync("lobby", bob.UserId, default))!.QueueName;
        Assert.True(app.Services.GetRequiredService<WaitingPolls>().TryHand(queue, [await StoreAsync(alice, "handed here")]));

        // The next poll would land elsewhere and take the put as old news: this answer must carry it.
        var response = await poll.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["put while reads failed", "handed here"], response.MessageTexts);
    }

    [Fact]
    public async Task ARoundWhoseSignalWritesFailedForAWhileIsKeptForReadersAfterItIsWritten()
    {
        var writer = app.Services.GetRequiredService<RoomSignalWriter>();
        app.Signals.FailNextRaises = 100;
        await Assert.ThrowsAsync<StorageUnavailableException>(() =>
            writer.RaiseAsync("lobby", [], default, missed: ["inbox-missed"], lastId: "missed-id"));
        await app.Clock.AdvanceAsync(TimeSpan.FromSeconds(1.9)); // background retries fail meanwhile
        app.Signals.FailNextRaises = 0;
        await writer.FlushAsync("lobby", default);

        // Past the time rounds are kept, counted from the round, but not from its first write.
        await app.Clock.AdvanceAsync(TimeSpan.FromSeconds(0.5));
        await writer.RaiseAsync("lobby", ["inbox-next"], default);

        var mine = (await app.Signals.ReadAsync("lobby", default))[app.Services.GetRequiredService<ChatInstance>().Id];
        Assert.Contains(mine.Rounds, r => r.Missed is ["inbox-missed"] && r.LastId == "missed-id");
    }

    private async Task FanOutFromAnotherInstanceAsync(Joined from, string text, Joined to)
    {
        var message = await StoreAsync(from, text);
        var queue = (await app.Members.GetAsync(to.Room, to.UserId, default))!.QueueName;
        await app.Inboxes.DeliverAsync(queue, InboxPayload.Serialize([message]), TimeSpan.FromMinutes(5), default);
        await RaiseAsOtherInstanceAsync(to.Room, [queue]);
    }

    /// <summary>The other instance's next round, its entry listing every round so far as a writer's entry does.</summary>
    private Task RaiseAsOtherInstanceAsync(string room, string[] putTo)
    {
        otherRounds.Add(new SignalRound(otherRounds.Count + 1, app.Clock.GetUtcNow(), putTo));
        return app.Signals.RaiseAsync(room, OtherInstance, new WriterSignal(0, [.. otherRounds]), default);
    }

    private async Task<ChatMessage> StoreAsync(Joined from, string text)
    {
        var (id, sentAt) = app.Services.GetRequiredService<MessageIds>().Next();
        var message = new ChatMessage(id, from.Room, from.UserId, from.Name, text, sentAt);
        await app.History.AppendAsync(message, null, default);
        return message;
    }
}
