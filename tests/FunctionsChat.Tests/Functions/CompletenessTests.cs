using FunctionsChat.Storage;
using FunctionsChat.Delivery;
using Microsoft.Extensions.DependencyInjection;
using static FunctionsChat.Tests.Functions.FakeClockDriver;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// Every accepted message reaches every member's page: each poll answer names the room's newest message, so a page
/// can tell that the fast path lost one, and each way the fast path can lose or hold back a copy (issue 17's six
/// cases) either delivers it anyway or makes the member's next answer name it at once.
/// </summary>
public sealed class CompletenessTests : ThreeInstanceTests
{
    [Fact]
    public async Task AnAnswerThatGotNothingStillNamesTheNewestMessageTheRoomAcceptedElsewhere()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        // Bob's copy is lost on its way: the put is answered as done and never stored.
        sender.Inboxes.PutsLostTo = queue => queue == bobsQueue;
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=5");
        await WaitUntilAsync(() => IsWaiting(waiter, bobsQueue));

        var sent = await sender.SendTextAsync(alice, "lost on its way");
        var answer = await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));

        Assert.Equal(200, answer.Status);
        Assert.Empty(answer.Messages);
        Assert.Equal(IdOf(sent), LatestIdOf(answer));
        Assert.Equal(["lost on its way"], (await waiter.HistoryAsync("lobby", "limit=10")).MessageTexts);
    }

    [Fact]
    public async Task WithoutAWatcherAnAnswerReadsTheRoomsNewestMessageItself()
    {
        var settings = new Dictionary<string, string?>(Settings) { ["Chat:RoomWatchIntervalMilliseconds"] = "0" };
        var one = new ChatTestApp(settings);
        var other = new ChatTestApp(settings, sharesStorageWith: one);
        var alice = await one.JoinAsMemberAsync("lobby");
        var bob = await one.JoinAsMemberAsync("lobby");
        var sent = await one.SendTextAsync(alice, "hello");
        Assert.Equal(["hello"], (await other.PollAsync("lobby", bob.Token, "timeout=1")).MessageTexts);

        var answer = await other.AdvanceUntilDoneAsync(other.PollAsync("lobby", bob.Token, "timeout=1"), TimeSpan.FromMilliseconds(250));

        Assert.Empty(answer.Messages);
        Assert.Equal(IdOf(sent), LatestIdOf(answer));
    }

    [Fact]
    public async Task AStoppingInstanceAnswersItsWaitingPollsAtOnceAndWithdrawsItsWaitingSet()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        Assert.Equal(["one"], (await SendWhileBobWaitsAsync(alice, "one", bob, waiter)).MessageTexts);
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        await sender.Clock.AdvanceUntilAsync(async () => (await sender.HandOvers.ReadWaitingAsync("lobby", default)).Any(s => s.Instance == Id(waiter)));

        await waiter.StopAsync();
        var answer = await poll.WaitAsync(TimeSpan.FromSeconds(10)); // the fake clock did not move: no timeout ended it

        Assert.Equal(200, answer.Status);
        Assert.NotNull(LatestIdOf(answer));
        Assert.DoesNotContain(await sender.HandOvers.ReadWaitingAsync("lobby", default), s => s.Instance == Id(waiter));
        // A poll that arrives while it stops answers at once too, rather than waiting out its timeout there.
        Assert.Equal(200, (await waiter.PollAsync("lobby", bob.Token, "timeout=30").WaitAsync(TimeSpan.FromSeconds(10))).Status);
        Assert.False(IsWaiting(waiter, bobsQueue));
    }

    [Fact]
    public async Task AHandOverToAnInstanceThatDiedReachesItsMemberWhenTheSenderStopsBeforeTakingItBack()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        Assert.Equal(["one"], (await SendWhileBobWaitsAsync(alice, "one", bob, third)).MessageTexts);
        // An instance that died a moment ago still lists Bob, more recently than where his poll waits now.
        var bobs = third.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(third, bobsQueue));
        await sender.HandOvers.PublishWaitingAsync("lobby", "deadinstance", [bobsQueue], sender.Clock.GetUtcNow().AddSeconds(1), default);
        Assert.Equal(201, (await sender.SendTextAsync(alice, "two")).Status);
        Assert.Equal(1, sender.HandOvers.Count("lobby"));

        // The sender stops (a deploy) before its take-back is due: it takes the hand-over back as it stops.
        await sender.StopAsync();
        var response = await third.AdvanceUntilDoneAsync(bobs, TimeSpan.FromMilliseconds(100), maxSteps: 50);

        Assert.Equal(["two"], response.MessageTexts);
        Assert.Equal(0, sender.HandOvers.Count("lobby"));
    }

    [Fact]
    public async Task AHandOverThatNeitherItsSenderNorItsTargetDealtWithIsSweptByAnInstanceWatchingTheRoom()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        // A sender and its target that both crashed: a hand-over for Bob stored, its round in the sender's signal.
        var lost = new ChatMessage("0639000000000000000-00000001", "lobby", alice.UserId, alice.Name, "stranded", sender.Clock.GetUtcNow());
        var keys = await sender.HandOvers.SendAsync("lobby", [new HandOver("deadtarget", [bobsQueue], [lost])], default);
        await sender.Signals.RaiseAsync("lobby", "deadsender",
            new WriterSignal(0, [new SignalRound(1, sender.Clock.GetUtcNow(), [], [new HandOverKey("deadtarget", keys[0])])], lost.Id), default);

        var answers = new List<TestResponse>();
        for (var i = 0; i < 3 && !answers.Any(a => a.Messages.Count > 0); i++)
        {
            answers.Add(await waiter.AdvanceUntilDoneAsync(waiter.PollAsync("lobby", bob.Token, "timeout=30"), TimeSpan.FromMilliseconds(250), maxSteps: 400));
        }

        Assert.Equal(["stranded"], answers.SelectMany(a => a.MessageTexts));
        await WaitUntilAsync(() => sender.HandOvers.Count("lobby") == 0); // removed once its copies were put
    }

    [Fact]
    public async Task AFailedPutIsTriedOnceMoreAndTheMemberGetsTheMessageAsUsual()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        var failures = 1;
        sender.Inboxes.PutsFailTo = queue => queue == bobsQueue && Interlocked.Decrement(ref failures) >= 0;
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(waiter, bobsQueue));
        await sender.Clock.AdvanceAsync(TimeSpan.FromMilliseconds(300));

        var sending = sender.SendTextAsync(alice, "second try");
        Assert.Equal(201, (await sender.AdvanceUntilDoneAsync(sending, TimeSpan.FromMilliseconds(50))).Status);
        var answer = await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100), maxSteps: 30);

        Assert.Equal(["second try"], answer.MessageTexts);
    }

    [Fact]
    public async Task AMemberWhoseCopyCouldNotBePutHasItsPollAnsweredAtOnceNamingTheMessage()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        sender.Inboxes.PutsFailTo = queue => queue == bobsQueue;
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(waiter, bobsQueue));
        await sender.Clock.AdvanceAsync(TimeSpan.FromMilliseconds(300));

        var sending = sender.SendTextAsync(alice, "could not be put");
        var sent = await sender.AdvanceUntilDoneAsync(sending, TimeSpan.FromMilliseconds(50));
        var answer = await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100), maxSteps: 30);

        Assert.Equal(201, sent.Status);
        Assert.Empty(answer.Messages);
        Assert.Equal(IdOf(sent), LatestIdOf(answer));
    }

    /// <summary>
    /// Between two polls nothing waits to be told: the copy that could not be put is remembered, on the sending
    /// instance and on every instance whose watcher read the round, until the member's next poll there.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AMemberWithNoPollWaitingWhenItsCopyCouldNotBePutHasItsNextPollAnsweredAtOnce(bool nextPollOnTheSender)
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        var carolsPoll = await CarolWatchesTheRoomOnTheWaiterAsync(TimeSpan.FromMilliseconds(300));
        sender.Inboxes.PutsFailTo = queue => queue == bobsQueue;

        var sent = await sender.AdvanceUntilDoneAsync(sender.SendTextAsync(alice, "could not be put"), TimeSpan.FromMilliseconds(50));
        await waiter.AdvanceUntilDoneAsync(carolsPoll, TimeSpan.FromMilliseconds(100), maxSteps: 30); // the round was read there
        sender.Inboxes.PutsFailTo = null;
        var on = nextPollOnTheSender ? sender : waiter;
        var answer = await on.AdvanceUntilDoneAsync(on.PollAsync("lobby", bob.Token, "timeout=30"), TimeSpan.FromMilliseconds(100), maxSteps: 5);

        Assert.Equal(201, sent.Status);
        Assert.Empty(answer.Messages);
        Assert.Equal(IdOf(sent), LatestIdOf(answer));
    }

    /// <summary>Without affinity every answer moves the member's next poll to any instance: an empty receive each time, unless skipped.</summary>
    [Fact]
    public async Task APollOnAnotherInstanceSkipsItsFirstReceiveWhenNobodyPutToItsQueueLately()
    {
        var (alice, bob) = await TwoMembersAsync();
        var carolsPoll = await CarolWatchesTheRoomOnTheWaiterAsync(DeliveryTimings.Default.QuietFor(new ChatOptions()) + TimeSpan.FromSeconds(1));
        var receives = sender.Inboxes.ReceiveCalls;

        var bobsQueue = await QueueOfAsync(bob);
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(waiter, bobsQueue));
        Assert.Equal(receives, sender.Inboxes.ReceiveCalls);
        Assert.Equal(201, (await sender.SendTextAsync(alice, "no receive needed")).Status);

        Assert.Equal(["no receive needed"], (await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100))).MessageTexts);
        Assert.Equal(["no receive needed"], (await waiter.AdvanceUntilDoneAsync(carolsPoll, TimeSpan.FromMilliseconds(100))).MessageTexts);
    }

    [Fact]
    public async Task APollOnAnotherInstanceReceivesFirstWhenItsQueueWasPutToLately()
    {
        var (alice, bob) = await TwoMembersAsync();
        var carolsPoll = await CarolWatchesTheRoomOnTheWaiterAsync(DeliveryTimings.Default.QuietFor(new ChatOptions()) + TimeSpan.FromSeconds(1));

        // Bob polls nowhere: his copy goes to his queue, and the round names it; the other instance reads that.
        Assert.Equal(201, (await sender.SendTextAsync(alice, "waiting in the queue")).Status);
        await waiter.AdvanceUntilDoneAsync(carolsPoll, TimeSpan.FromMilliseconds(100));
        var answer = await waiter.AdvanceUntilDoneAsync(waiter.PollAsync("lobby", bob.Token, "timeout=30"), TimeSpan.FromMilliseconds(100), maxSteps: 3);

        Assert.Equal(["waiting in the queue"], answer.MessageTexts);
    }

    [Fact]
    public async Task ARoomsWatchLoopThatFailsUnexpectedlyStartsAgainAndStillWakesItsPolls()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(waiter, bobsQueue));
        await sender.Clock.AdvanceAsync(TimeSpan.FromMilliseconds(300));
        // Not an outage: a fault nobody planned for, such as a 403 or an entry this version cannot read.
        sender.Signals.NextReadFailsWith = new InvalidOperationException("unexpected");
        await sender.Clock.AdvanceAsync(TimeSpan.FromMilliseconds(300));
        await WaitUntilAsync(() => sender.Signals.NextReadFailsWith is null); // the failing read ran

        Assert.Equal(201, (await sender.SendTextAsync(alice, "after the fault")).Status);
        var answer = await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100), maxSteps: 40);

        Assert.Equal(["after the fault"], answer.MessageTexts);
    }

    [Fact]
    public async Task ASignalWriteThatFailsIsTriedAgainSoPollsOnOtherInstancesAreStillWoken()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(waiter, bobsQueue));
        await sender.Clock.AdvanceAsync(TimeSpan.FromMilliseconds(300));
        sender.Signals.FailNextRaises = 1;

        var sending = sender.SendTextAsync(alice, "signal failed once");
        Assert.Equal(201, (await sender.AdvanceUntilDoneAsync(sending, TimeSpan.FromMilliseconds(50))).Status);
        var answer = await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100), maxSteps: 30);

        Assert.Equal(["signal failed once"], answer.MessageTexts);
    }

    [Fact]
    public async Task ASendWhoseRoundCannotRaiseTheSignalIsNotReportedAcceptedAndARetryDeliversIt()
    {
        var (alice, bob) = await TwoMembersAsync();
        sender.Signals.FailNextRaises = 3; // the round's raise, its second try and the first background try

        var sending = sender.SendTextAsync(alice, "retried", clientMessageId: "c-1");
        var first = await sender.AdvanceUntilDoneAsync(sending, TimeSpan.FromMilliseconds(50));
        var retry = await sender.SendTextAsync(alice, "retried", clientMessageId: "c-1");

        first.AssertProblem(503);
        Assert.Equal(200, retry.Status);
        var signal = (await sender.Signals.ReadAsync("lobby", default)).Single().Value;
        Assert.Equal(IdOf(retry), signal.LatestId);
        Assert.Contains(IdOf(retry), (await waiter.PollAsync("lobby", bob.Token, "timeout=1")).Messages.Select(m => m.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task AnAnswerWithMessagesDoesNotWaitForAHangingLastSeenWrite()
    {
        var (alice, bob) = await TwoMembersAsync();
        await sender.Clock.AdvanceAsync(TimeSpan.FromSeconds(16)); // Bob's lastSeen is due to be written by his next poll
        Assert.Equal(201, (await sender.SendTextAsync(alice, "not held back")).Status);
        sender.Members.TouchesWaitFor = new TaskCompletionSource().Task;

        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");

        Assert.Equal(["not held back"], (await poll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
    }

    [Fact]
    public async Task AHandOverWhoseRemovalCommittedButReportedFailureStillDeliversTheCopiesOfPollsThatMoved()
    {
        var (alice, bob) = await TwoMembersAsync();
        var bobsQueue = await QueueOfAsync(bob);
        Assert.Equal(["one"], (await SendWhileBobWaitsAsync(alice, "one", bob, waiter)).MessageTexts);
        var carol = await sender.JoinAsMemberAsync("lobby");
        var carolsQueue = await QueueOfAsync(carol);
        // Bob waits on the waiting instance; Carol's poll has moved on to the third, though the set still lists her.
        var bobs = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        var carols = third.PollAsync("lobby", carol.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(waiter, bobsQueue) && IsWaiting(third, carolsQueue));
        await sender.HandOvers.PublishWaitingAsync("lobby", Id(waiter), [bobsQueue, carolsQueue], sender.Clock.GetUtcNow().AddSeconds(1), default);
        sender.HandOvers.RemovesCommitThenFailWith = new StorageUnavailableException("answer lost");

        Assert.Equal(201, (await sender.SendTextAsync(alice, "two")).Status);
        var answers = await Task.WhenAll(waiter.AdvanceUntilDoneAsync(bobs, TimeSpan.FromMilliseconds(100), maxSteps: 50), carols.WaitAsync(TimeSpan.FromSeconds(20)));

        Assert.Equal(["two"], answers[0].MessageTexts);
        Assert.Equal(["two"], answers[1].MessageTexts);
    }

    private static string IdOf(TestResponse sent) => sent.Json.RootElement.GetProperty("id").GetString()!;

    private static string? LatestIdOf(TestResponse answer) =>
        answer.Json.RootElement.TryGetProperty("latestId", out var id) ? id.GetString() : null;

    /// <summary>A third member's poll keeps the room watched on the waiting instance for <paramref name="watchedFor"/>; her poll.</summary>
    private async Task<Task<TestResponse>> CarolWatchesTheRoomOnTheWaiterAsync(TimeSpan watchedFor)
    {
        var carol = await sender.JoinAsMemberAsync("lobby");
        var carolsQueue = await QueueOfAsync(carol);
        var carolsPoll = waiter.PollAsync("lobby", carol.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(waiter, carolsQueue));
        await sender.Clock.AdvanceAsync(watchedFor);
        return carolsPoll;
    }
}
