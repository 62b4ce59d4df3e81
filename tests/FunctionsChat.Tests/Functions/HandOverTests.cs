using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Tests.Fakes;
using FunctionsChat.Delivery;
using Microsoft.Extensions.DependencyInjection;
using static FunctionsChat.Tests.Functions.FakeClockDriver;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// A send hands its messages straight to the recipients' polls waiting on this instance; queues carry the rest, and
/// a poll skips its first receive only when nothing can have arrived in its queue.
/// </summary>
public sealed class HandOverTests
{
    private readonly ChatTestApp app = new();

    [Fact]
    public async Task ASendToAMemberWhosePollWaitsHereNeverTouchesThatMembersQueue()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1);
        var receivesBefore = app.Inboxes.ReceiveCalls;

        await app.SendTextAsync(alice, "handed over");

        // The fake clock does not move: only the hand-over can end this poll.
        Assert.Equal(["handed over"], (await poll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
        Assert.Equal(1, app.Inboxes.DeliverCalls); // Alice's own queue: she was not polling
        Assert.Equal(receivesBefore, app.Inboxes.ReceiveCalls);
    }

    [Fact]
    public async Task AMemberBetweenPollsFindsTheMessageInItsQueueAtOnce()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", bob.Token, "timeout=1"), TimeSpan.FromMilliseconds(250));

        await app.SendTextAsync(alice, "while you were away");

        // Found empty before, but this instance has put a message there since: the next poll looks at once.
        Assert.Equal(["while you were away"], (await app.PollAsync("lobby", bob.Token, "timeout=30").WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
    }

    [Fact]
    public async Task ANextPollSkipsItsFirstReceiveWhenNothingCanHaveArrived()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", bob.Token, "timeout=1"), TimeSpan.FromMilliseconds(250));
        var receives = app.Inboxes.ReceiveCalls;

        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await Task.Delay(200);
        Assert.Equal(receives, app.Inboxes.ReceiveCalls);
        await app.SendTextAsync(alice, "no receive needed");

        Assert.Equal(["no receive needed"], (await poll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
        Assert.Equal(receives, app.Inboxes.ReceiveCalls);
    }

    [Fact]
    public async Task MessagesHandedToAPollWhoseCallerWentAwayGoBackToTheQueue()
    {
        var queue = await BobsQueueAsync();
        var receives = new HeldReceives(app.Inboxes);
        using var callerGone = new CancellationTokenSource();
        var poll = await PollWhileItsReceiveIsHeldAsync(queue, receives, callerGone.Token);

        Assert.True(app.Services.GetRequiredService<WaitingPolls>().TryHand(queue, [Message("do not lose me")]));
        await callerGone.CancelAsync();
        receives.Release();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(["do not lose me"], await TextsInQueueAsync(queue));
    }

    [Fact]
    public async Task WhatAReceiveUnderwayTookGoesBackToTheQueueWhenTheCallerGoesAwayMeanwhile()
    {
        var queue = await BobsQueueAsync();
        await PutAsync(queue, "taken, then the caller left");
        var receives = new HeldReceives(app.Inboxes);
        using var callerGone = new CancellationTokenSource();
        var poll = await PollWhileItsReceiveIsHeldAsync(queue, receives, callerGone.Token);

        // The queue gave the message out; the caller leaves (or the instance stops) before the answer comes back.
        await callerGone.CancelAsync();
        receives.Release();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => poll.WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal(["taken, then the caller left"], await TextsInQueueAsync(queue));
    }

    [Fact]
    public async Task APollEndedEarlyWhoseMessagesCannotGoBackToTheQueueNamesTheOldestAsMissed()
    {
        var queue = await BobsQueueAsync();
        var message = await PutAsync(queue, "only in history now");
        var receives = new HeldReceives(app.Inboxes, putsFail: true);
        using var stopping = new CancellationTokenSource();
        var poll = await PollWhileItsReceiveIsHeldAsync(queue, receives, stopping.Token);

        await stopping.CancelAsync();
        receives.Release();
        var answer = await poll.WaitAsync(TimeSpan.FromSeconds(10));

        // The page, not holding that id, reads history from before it.
        Assert.Empty(answer!.Messages);
        Assert.Equal(message.Id, answer.MissedId);
        Assert.Empty(await TextsInQueueAsync(queue));
    }

    [Fact]
    public async Task ACopyNamedMissedWhileThePollWasReceivingIsNamedInItsAnswer()
    {
        var queue = await BobsQueueAsync();
        await PutAsync(queue, "found in the queue");
        var missed = Message("its copy for Bob could not be put");
        // While the receive is under way, the watcher reads that another instance could not put a copy for Bob.
        var racing = new RacingReceive(app.Inboxes, () =>
        {
            app.Services.GetRequiredService<WaitingPolls>().Check(queue, missed.Id);
            return Task.CompletedTask;
        });
        var waiter = ActivatorUtilities.CreateInstance<InboxWaiter>(app.Services, (IInboxes)racing);

        var answer = await waiter.WaitAsync("lobby", queue, TimeSpan.FromSeconds(30), default).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(["found in the queue"], answer!.Messages.Select(m => m.Text));
        Assert.Equal(missed.Id, answer.MissedId);
    }

    [Fact]
    public async Task AMessagePutWhileAnEmptyReceiveWasUnderwayIsNotLeftBehind()
    {
        var bob = await app.JoinAsMemberAsync("lobby");
        var queue = (await app.Members.GetAsync("lobby", bob.UserId, default))!.QueueName;
        var polls = app.Services.GetRequiredService<WaitingPolls>();
        // This receive finds the queue empty; before it returns, this instance's fan-out puts one message on the queue
        // (Bob was not waiting yet when it tried to hand it over) and then hands the next one to Bob's waiting poll.
        var racing = new RacingReceive(app.Inboxes, async () =>
        {
            await PutAsync(queue, "put meanwhile");
            Assert.True(polls.TryHand(queue, [Message("handed over")]));
        });
        var waiter = ActivatorUtilities.CreateInstance<InboxWaiter>(app.Services, (IInboxes)racing);

        // The fake clock does not move: the put's wake makes the poll look again at once, so it answers with both.
        var first = await waiter.WaitAsync("lobby", queue, TimeSpan.FromSeconds(30), default).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["put meanwhile", "handed over"], first!.Messages.Select(m => m.Text));
        Assert.Empty((await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", bob.Token, "timeout=1"), TimeSpan.FromMilliseconds(250))).Messages);
    }

    private async Task<string> BobsQueueAsync()
    {
        var bob = await app.JoinAsMemberAsync("lobby");
        return (await app.Members.GetAsync("lobby", bob.UserId, default))!.QueueName;
    }

    /// <summary>A poll of <paramref name="queue"/> whose receives go through <paramref name="receives"/>, once its first is held.</summary>
    private async Task<Task<PollResult?>> PollWhileItsReceiveIsHeldAsync(string queue, HeldReceives receives, CancellationToken token)
    {
        var waiter = ActivatorUtilities.CreateInstance<InboxWaiter>(app.Services, (IInboxes)receives);
        var poll = waiter.WaitAsync("lobby", queue, TimeSpan.FromSeconds(30), token);
        await receives.Held.WaitAsync(TimeSpan.FromSeconds(10));
        return poll;
    }

    private ChatMessage Message(string text) =>
        new(app.Services.GetRequiredService<MessageIds>().Next().Id, "lobby", "someone", "Someone", text, app.Clock.GetUtcNow());

    private async Task<ChatMessage> PutAsync(string queue, string text)
    {
        var message = Message(text);
        await app.Inboxes.DeliverAsync(queue, InboxPayload.Serialize([message]), TimeSpan.FromMinutes(5), default);
        app.Services.GetRequiredService<WaitingPolls>().Put(queue);
        return message;
    }

    private async Task<IReadOnlyList<string>> TextsInQueueAsync(string queue) =>
        (await app.Inboxes.ReceiveAsync(queue, 32, default))!.SelectMany(InboxPayload.Deserialize).Select(m => m.Text).ToList();

    /// <summary>
    /// Receives that take what is in the queue, then hold their answer until <see cref="Release"/>, as a slow network
    /// would; a caller that cancels its call meanwhile loses what was taken. With <c>putsFail</c>, every put fails.
    /// </summary>
    private sealed class HeldReceives(IInboxes inner, bool putsFail = false) : DelegatingInboxes(inner)
    {
        private readonly TaskCompletionSource held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Held => held.Task;

        public void Release() => release.TrySetResult();

        public override async Task<IReadOnlyList<string>?> ReceiveAsync(string queueName, int maxMessages, CancellationToken cancellationToken)
        {
            var taken = await Inner.ReceiveAsync(queueName, maxMessages, CancellationToken.None);
            held.TrySetResult();
            await release.Task.WaitAsync(cancellationToken);
            return taken;
        }

        public override Task<bool> DeliverAsync(string queueName, string payload, TimeSpan timeToLive, CancellationToken cancellationToken) =>
            putsFail ? throw new StorageUnavailableException("Simulated: puts fail.") : base.DeliverAsync(queueName, payload, timeToLive, cancellationToken);
    }

    /// <summary>The first receive runs <paramref name="meanwhile"/> after reading an empty queue and before returning.</summary>
    private sealed class RacingReceive(IInboxes inner, Func<Task> meanwhile) : DelegatingInboxes(inner)
    {
        private int calls;

        public override async Task<IReadOnlyList<string>?> ReceiveAsync(string queueName, int maxMessages, CancellationToken cancellationToken)
        {
            var taken = await Inner.ReceiveAsync(queueName, maxMessages, cancellationToken);
            if (Interlocked.Increment(ref calls) == 1)
            {
                await meanwhile();
            }
            return taken;
        }
    }
}
