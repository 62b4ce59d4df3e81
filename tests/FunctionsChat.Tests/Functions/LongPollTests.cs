using static FunctionsChat.Tests.Functions.FakeClockDriver;

namespace FunctionsChat.Tests.Functions;

public sealed class LongPollTests
{
    private readonly ChatTestApp app = new();

    [Fact]
    public async Task APollReturnsEverythingWaitingOldestFirstAndEachMessageOnce()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        await app.SendTextAsync(alice, "one");
        await app.SendTextAsync(alice, "two");

        var first = await app.PollAsync("lobby", alice.Token);
        var second = app.PollAsync("lobby", alice.Token, "timeout=2");

        Assert.Equal(["one", "two"], first.MessageTexts);
        Assert.Empty((await app.AdvanceUntilDoneAsync(second, TimeSpan.FromMilliseconds(250))).Messages);
    }

    [Fact]
    public async Task APollWithNothingWaitingReturnsAnEmptyListWhenTheTimeoutPasses()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var start = app.Clock.GetUtcNow();

        var poll = app.PollAsync("lobby", alice.Token, "timeout=5");
        var response = await app.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));

        Assert.Equal(200, response.Status);
        Assert.Empty(response.Messages);
        var waited = app.Clock.GetUtcNow() - start;
        // The fake clock may run a step or two past the end before the test sees the poll finish.
        Assert.InRange(waited, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(7));
    }

    [Fact]
    public async Task APollWithoutATimeoutWaitsThirtySeconds()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var start = app.Clock.GetUtcNow();

        var response = await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", alice.Token), TimeSpan.FromMilliseconds(500), maxSteps: 400);

        Assert.Empty(response.Messages);
        Assert.InRange(app.Clock.GetUtcNow() - start, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(33));
    }

    [Fact]
    public async Task AShortMemberTimeoutShortensEveryPollSoAMemberThatKeepsPollingNeverExpires()
    {
        // 20 s timeout, lastSeen written every 5 s, 5 s to reconnect: each poll may wait 10 s at most.
        var quick = new ChatTestApp(new Dictionary<string, string?>
        {
            ["Chat:MemberTimeoutSeconds"] = "20",
            ["Chat:LastSeenWriteIntervalSeconds"] = "5",
        });
        var alice = await quick.JoinAsMemberAsync("lobby");
        var start = quick.Clock.GetUtcNow();

        for (var poll = 0; poll < 12; poll++)
        {
            var pollStart = quick.Clock.GetUtcNow();
            var response = await quick.AdvanceUntilDoneAsync(quick.PollAsync("lobby", alice.Token, "timeout=30"), TimeSpan.FromMilliseconds(250));

            Assert.Equal(200, response.Status);
            // 10 s, and the clock may step on while the answer is on its way (a loaded machine): never the asked-for 30 s.
            Assert.InRange(quick.Clock.GetUtcNow() - pollStart, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(13));
            quick.Clock.Advance(TimeSpan.FromSeconds(4)); // the client is slow to ask again, within the allowance
        }

        Assert.True(quick.Clock.GetUtcNow() - start > TimeSpan.FromSeconds(150));
        Assert.Equal(201, (await quick.SendTextAsync(alice, "still here")).Status);
    }

    [Fact]
    public async Task ASendOnTheSameInstanceWakesAWaitingPollWithoutWaitingOutTheBackOff()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls > 0);

        await app.SendTextAsync(alice, "wake up");

        // The fake clock does not move: only the wake-up signal can end this poll.
        var response = await poll.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["wake up"], response.MessageTexts);
    }

    [Fact]
    public async Task EmptyAttemptsBackOffUpToTheCap()
    {
        var alice = await app.JoinAsMemberAsync("lobby");

        await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", alice.Token, "timeout=30"), TimeSpan.FromMilliseconds(50), maxSteps: 1000);

        // Defaults: 10 s doubling to a 30 s cap over 30 s: attempts at 0 and 10 s (the next would fall at 30 s, the
        // deadline, where a poll does not look), and one more at the end only should the fake clock run ahead of the
        // watcher's reads (see RoomWatcher.LagsBehind). Never a busy loop, never a single attempt.
        Assert.InRange(app.Inboxes.ReceiveCalls, 2, 3);
    }

    public enum Departure
    {
        /// <summary>The host sent InvocationCancel: the function's token fires.</summary>
        InvocationCancelled,

        /// <summary>The caller left: the forwarded request is aborted, the function's token does not fire.</summary>
        RequestAborted,
    }

    [Theory]
    [InlineData(Departure.InvocationCancelled)]
    [InlineData(Departure.RequestAborted)]
    public async Task APollWhoseCallerLeftStopsLoopingAndEndsQuietly(Departure departure)
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        using var leave = new CancellationTokenSource();
        var poll = departure == Departure.InvocationCancelled
            ? app.PollAsync("lobby", alice.Token, "timeout=30", cancellationToken: leave.Token)
            : app.PollAsync("lobby", alice.Token, "timeout=30", requestAborted: leave.Token);
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls > 0);

        leave.Cancel();

        // No exception: a closed tab is normal, not a failed invocation.
        var answer = await poll.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(200, answer.Status);
        var callsAfterCancel = app.Inboxes.ReceiveCalls;
        // In steps, each with a pause, so a loop that went on would have its timers fire and make its receives.
        await app.Clock.AdvanceAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(callsAfterCancel, app.Inboxes.ReceiveCalls);
    }

    [Theory]
    [InlineData(Departure.InvocationCancelled)]
    [InlineData(Departure.RequestAborted)]
    public async Task WhatASendHandsToAPollWhoseCallerLeftStaysInTheInbox(Departure departure)
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        using var leave = new CancellationTokenSource();
        var gone = departure == Departure.InvocationCancelled
            ? app.PollAsync("lobby", bob.Token, "timeout=30", cancellationToken: leave.Token)
            : app.PollAsync("lobby", bob.Token, "timeout=30", requestAborted: leave.Token);
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls > 0);
        leave.Cancel();
        await gone.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(201, (await app.SendTextAsync(alice, "while you were away")).Status);

        var back = await app.PollAsync("lobby", bob.Token, "timeout=1");
        Assert.Equal(["while you were away"], back.MessageTexts);
    }

    [Theory]
    [InlineData("timeout=0")]
    [InlineData("timeout=31")]
    [InlineData("timeout=abc")]
    [InlineData("timeout=1.5")]
    public async Task APollWithAnInvalidTimeoutReturns400(string query)
    {
        var alice = await app.JoinAsMemberAsync("lobby");

        (await app.PollAsync("lobby", alice.Token, query)).AssertProblem(400);
    }

    [Fact]
    public async Task APollWithoutATokenReturns401()
    {
        var response = await app.PollAsync("lobby", token: null);

        response.AssertProblem(401);
        Assert.Equal("Bearer", response.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public async Task APollMarksTheMemberOnlineButWritesLastSeenAtMostEveryFewSeconds()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var joinedAt = app.Clock.GetUtcNow();
        await app.SendTextAsync(alice, "x");

        app.Clock.Advance(TimeSpan.FromSeconds(5));
        await app.PollAsync("lobby", alice.Token);
        Assert.Equal(joinedAt, (await app.Members.GetAsync("lobby", alice.UserId, default))!.LastSeen);

        app.Clock.Advance(TimeSpan.FromSeconds(20));
        await app.SendTextAsync(alice, "y");
        await app.PollAsync("lobby", alice.Token);
        Assert.Equal(app.Clock.GetUtcNow(), (await app.Members.GetAsync("lobby", alice.UserId, default))!.LastSeen);
    }

    [Fact]
    public async Task PollingKeepsAMemberFromExpiring()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        for (var i = 0; i < 10; i++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(30));
            await app.SendTextAsync(alice, $"m{i}");
            Assert.Equal(200, (await app.PollAsync("lobby", alice.Token)).Status);
        }
    }
}
