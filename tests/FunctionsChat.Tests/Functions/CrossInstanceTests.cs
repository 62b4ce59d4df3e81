using FunctionsChat.Storage;
using FunctionsChat.Delivery;
using Microsoft.Extensions.DependencyInjection;
using static FunctionsChat.Tests.Functions.FakeClockDriver;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// Two or three instances of the app on one storage account (shared fakes, one clock), as Flex Consumption runs it:
/// a member's poll waits on one instance while the message is sent on another.
/// </summary>
public sealed class CrossInstanceTests : ThreeInstanceTests
{
    [Fact]
    public async Task OnceTheRoomIsActiveAMessageReachesAPollOnAnotherInstanceWithoutAnyQueueCallForIt()
    {
        var (alice, bob) = await TwoMembersAsync();
        Assert.Equal(["one"], (await SendWhileBobWaitsAsync(alice, "one", bob, waiter)).MessageTexts);

        // The room is active now: the instance Bob polls publishes his poll, and the sender hands his copy over.
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        await sender.Clock.AdvanceUntilAsync(async () => (await sender.HandOvers.ReadWaitingAsync("lobby", default)).Count == 1);
        var puts = sender.Inboxes.DeliverCalls;
        var receives = sender.Inboxes.ReceiveCalls;
        Assert.Equal(201, (await sender.SendTextAsync(alice, "two")).Status);
        var response = await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(50));

        Assert.Equal(["two"], response.MessageTexts);
        Assert.Equal(1, sender.HandOvers.SendCalls);
        Assert.Equal(puts + 1, sender.Inboxes.DeliverCalls); // Alice's copy: she is not polling
        Assert.Equal(receives, sender.Inboxes.ReceiveCalls);
        // Dealt with, then removed.
        await sender.Clock.AdvanceUntilAsync(async () => (await sender.HandOvers.ReceiveAsync("lobby", Id(waiter), null, default)).Count == 0);
    }

    [Fact]
    public async Task AHandOverForAPollThatMovedToAnInstanceThatSaysSoIsSentOnThereAndNeverQueued()
    {
        var (alice, bob) = await TwoMembersAsync();
        Assert.Equal(["one"], (await SendWhileBobWaitsAsync(alice, "one", bob, third)).MessageTexts);
        var carol = await sender.JoinAsMemberAsync("lobby");
        var bobsQueue = await QueueOfAsync(bob);

        // Bob's poll waits on the third instance, which says so; the waiting instance says so too, a moment later
        // (a stale set that looks newer), so the sender hands Bob's copy to the waiting instance.
        var carols = waiter.PollAsync("lobby", carol.Token, "timeout=30");
        var bobs = third.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => third.Services.GetRequiredService<WaitingPolls>().IsWaiting(bobsQueue));
        await third.HandOvers.PublishWaitingAsync("lobby", Id(third), [bobsQueue], sender.Clock.GetUtcNow(), default);
        await sender.HandOvers.PublishWaitingAsync("lobby", Id(waiter), [bobsQueue], sender.Clock.GetUtcNow().AddMilliseconds(1), default);
        var puts = sender.Inboxes.DeliverCalls;

        Assert.Equal(201, (await sender.SendTextAsync(alice, "two")).Status);
        var response = await third.AdvanceUntilDoneAsync(bobs, TimeSpan.FromMilliseconds(50));

        Assert.Equal(["two"], response.MessageTexts);
        Assert.Equal(2, sender.HandOvers.SendCalls); // the sender's, then the waiting instance's on to the third
        Assert.Equal(puts + 2, sender.Inboxes.DeliverCalls); // Alice's and Carol's copies only
        Assert.Equal(["two"], (await carols.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
    }

    [Fact]
    public async Task AHandOverToAnInstanceThatIsGoneIsTakenBackAndReachesTheMemberThroughItsQueue()
    {
        var (alice, bob) = await TwoMembersAsync();
        Assert.Equal(["one"], (await SendWhileBobWaitsAsync(alice, "one", bob, third)).MessageTexts);
        var bobsQueue = await QueueOfAsync(bob);

        // An instance that died a moment ago still lists Bob, more recently than where his poll waits now.
        var bobs = third.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => third.Services.GetRequiredService<WaitingPolls>().IsWaiting(bobsQueue));
        await sender.HandOvers.PublishWaitingAsync("lobby", "deadinstance", [bobsQueue], sender.Clock.GetUtcNow().AddSeconds(1), default);

        Assert.Equal(201, (await sender.SendTextAsync(alice, "two")).Status);
        var response = await third.AdvanceUntilDoneAsync(bobs, TimeSpan.FromMilliseconds(100), maxSteps: 200);

        Assert.Equal(["two"], response.MessageTexts);
        Assert.Empty(await sender.HandOvers.ReceiveAsync("lobby", "deadinstance", null, default));
    }

    [Fact]
    public async Task AHandOverThatCannotBeStoredGoesOnTheQueuesInstead()
    {
        var (alice, bob) = await TwoMembersAsync();
        Assert.Equal(["one"], (await SendWhileBobWaitsAsync(alice, "one", bob, waiter)).MessageTexts);
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=30");
        await sender.Clock.AdvanceUntilAsync(async () => (await sender.HandOvers.ReadWaitingAsync("lobby", default)).Count == 1);
        sender.HandOvers.SendsFailWith = new StorageUnavailableException("table down", new IOException());

        Assert.Equal(201, (await sender.SendTextAsync(alice, "two")).Status);
        var response = await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(50));

        Assert.Equal(["two"], response.MessageTexts);
        Assert.Equal(1, sender.HandOvers.SendCalls);
    }

    [Fact]
    public async Task AQuietRoomPublishesNoWaitingPollsAndAnActiveOneWithdrawsThemWhenNoneWaits()
    {
        var (alice, bob) = await TwoMembersAsync();
        var quiet = waiter.PollAsync("lobby", bob.Token, "timeout=5");
        await sender.Clock.AdvanceAsync(TimeSpan.FromSeconds(2));
        Assert.Empty(await sender.HandOvers.ReadWaitingAsync("lobby", default));
        Assert.Empty((await waiter.AdvanceUntilDoneAsync(quiet, TimeSpan.FromMilliseconds(100))).Messages);

        Assert.Equal(["one"], (await SendWhileBobWaitsAsync(alice, "one", bob, waiter)).MessageTexts);
        var poll = waiter.PollAsync("lobby", bob.Token, "timeout=2");
        await sender.Clock.AdvanceUntilAsync(async () => (await sender.HandOvers.ReadWaitingAsync("lobby", default)).Count == 1);
        Assert.Empty((await waiter.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100))).Messages);

        await sender.Clock.AdvanceUntilAsync(async () => (await sender.HandOvers.ReadWaitingAsync("lobby", default)).Count == 0);
    }

    [Fact]
    public async Task AnInstanceThatHasSeenNoOtherInTheRoomPublishesNothingWhileItChats()
    {
        var alone = new ChatTestApp(Settings);
        var alice = await alone.JoinAsMemberAsync("lobby");
        var bob = await alone.JoinAsMemberAsync("lobby");
        for (var i = 0; i < 3; i++)
        {
            var poll = alone.PollAsync("lobby", bob.Token, "timeout=30");
            await Task.Delay(50);
            Assert.Equal(201, (await alone.SendTextAsync(alice, $"message {i}")).Status);
            Assert.Single((await alone.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100))).Messages);
        }

        var waiting = alone.PollAsync("lobby", bob.Token, "timeout=2");
        Assert.Empty((await alone.AdvanceUntilDoneAsync(waiting, TimeSpan.FromMilliseconds(100))).Messages);
        Assert.Empty(await alone.HandOvers.ReadWaitingAsync("lobby", default));
        Assert.Equal(0, alone.HandOvers.SendCalls);
    }
}
