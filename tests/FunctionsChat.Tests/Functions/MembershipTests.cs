namespace FunctionsChat.Tests.Functions;

public sealed class MembershipTests
{
    private readonly ChatTestApp app = new();

    [Fact]
    public async Task TheMembersListShowsOnlineMembersOfThatRoomOnly()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        var bob = await app.JoinAsMemberAsync("lobby", "Bob");
        await app.JoinAsMemberAsync("other", "Carol");

        var response = await app.ListMembersAsync("lobby");

        Assert.Equal(200, response.Status);
        var members = response.Json.RootElement.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(["Alice", "Bob"], members.Select(m => m.GetProperty("name").GetString()));
        Assert.Equal([alice.UserId, bob.UserId], members.Select(m => m.GetProperty("userId").GetString()));
        Assert.All(members, m => Assert.Equal("2026-11-26T08:00:00.0000000Z", m.GetProperty("lastSeen").GetString()));
        Assert.All(members, m => Assert.False(m.TryGetProperty("token", out _)));
    }

    [Fact]
    public async Task LeavingRemovesTheMemberItsQueueAndLaterRequestsGet410()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        var queue = (await app.Members.GetAsync("lobby", alice.UserId, default))!.QueueName;

        var response = await app.LeaveAsync("lobby", alice.Token, alice.UserId);

        Assert.Equal(204, response.Status);
        Assert.Empty(response.Body);
        Assert.DoesNotContain(queue, app.Inboxes.QueueNames);
        Assert.Empty((await app.ListMembersAsync("lobby")).Json.RootElement.GetProperty("members").EnumerateArray());
        (await app.SendTextAsync(alice, "still here?")).AssertProblem(410);
        (await app.PollAsync("lobby", alice.Token)).AssertProblem(410);
        (await app.LeaveAsync("lobby", alice.Token, alice.UserId)).AssertProblem(410);
    }

    [Fact]
    public async Task LeavingWakesTheMembersOwnWaitingPollWhichThenGets410()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", alice.Token, "timeout=30");
        for (var i = 0; i < 500 && app.Inboxes.ReceiveCalls == 0; i++)
        {
            await Task.Delay(10);
        }

        await app.LeaveAsync("lobby", alice.Token, alice.UserId);

        (await poll.WaitAsync(TimeSpan.FromSeconds(10))).AssertProblem(410);
    }

    [Fact]
    public async Task RemovingAnotherMemberIsForbidden()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");

        (await app.LeaveAsync("lobby", alice.Token, bob.UserId)).AssertProblem(403);

        Assert.NotNull(await app.Members.GetAsync("lobby", bob.UserId, default));
    }

    [Fact]
    public async Task LeavingWithoutATokenReturns401()
    {
        var alice = await app.JoinAsMemberAsync("lobby");

        (await app.LeaveAsync("lobby", null, alice.UserId)).AssertProblem(401);
    }

    [Fact]
    public async Task AMemberSilentPastTheTimeoutGets410AndLeavesTheListAndItsQueueIsDeleted()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var queue = (await app.Members.GetAsync("lobby", alice.UserId, default))!.QueueName;

        app.Clock.Advance(TimeSpan.FromSeconds(100));
        await app.SendTextAsync(bob, "bob keeps talking");
        app.Clock.Advance(TimeSpan.FromSeconds(21));

        var names = (await app.ListMembersAsync("lobby")).Json.RootElement.GetProperty("members").EnumerateArray()
            .Select(m => m.GetProperty("userId").GetString());
        Assert.Equal([bob.UserId], names);
        (await app.PollAsync("lobby", alice.Token)).AssertProblem(410);
        Assert.DoesNotContain(queue, app.Inboxes.QueueNames);
        Assert.Null(await app.Members.GetAsync("lobby", alice.UserId, default));
    }

    [Fact]
    public async Task AMemberAtExactlyTheTimeoutIsStillOnline()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        app.Clock.Advance(TimeSpan.FromSeconds(120));

        Assert.Equal(201, (await app.SendTextAsync(alice, "just in time")).Status);
    }

    [Fact]
    public async Task TheMemberTimeoutComesFromSettings()
    {
        var quick = new ChatTestApp(new Dictionary<string, string?> { ["Chat:MemberTimeoutSeconds"] = "30" });
        var alice = await quick.JoinAsMemberAsync("lobby");
        quick.Clock.Advance(TimeSpan.FromSeconds(31));

        (await quick.SendTextAsync(alice, "late")).AssertProblem(410);
    }

    [Fact]
    public async Task TheCleanupTimerRemovesSilentMembersAndTheirQueuesInEveryRoom()
    {
        var silentHere = await app.JoinAsMemberAsync("lobby");
        var silentThere = await app.JoinAsMemberAsync("other");
        app.Clock.Advance(TimeSpan.FromSeconds(121));
        var active = await app.JoinAsMemberAsync("lobby");

        await app.RunCleanupAsync();

        Assert.Null(await app.Members.GetAsync("lobby", silentHere.UserId, default));
        Assert.Null(await app.Members.GetAsync("other", silentThere.UserId, default));
        Assert.NotNull(await app.Members.GetAsync("lobby", active.UserId, default));
        Assert.Single(app.Inboxes.QueueNames);
    }
}
