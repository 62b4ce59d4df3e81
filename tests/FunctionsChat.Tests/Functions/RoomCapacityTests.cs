using FunctionsChat.Http;
using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Functions;

public sealed class RoomCapacityTests
{
    private readonly ChatTestApp app = new(new Dictionary<string, string?> { ["Chat:MaxMembersPerRoom"] = "3" });

    [Fact]
    public async Task JoiningAFullRoomReturns409WithAProblemSayingTheRoomIsFull()
    {
        for (var i = 0; i < 3; i++)
        {
            await app.JoinAsMemberAsync("lobby");
        }

        var refused = await app.JoinAsync("lobby");

        var detail = refused.AssertProblem(409);
        var problem = refused.Json.RootElement;
        Assert.Equal(Api.RoomFullType, problem.GetProperty("type").GetString());
        Assert.Equal("Room is full", problem.GetProperty("title").GetString());
        Assert.Contains("'lobby'", detail);
        Assert.Contains("3 members", detail);
        Assert.Equal(3, app.Inboxes.QueueNames.Count);
        Assert.Equal(3, (await app.Members.ListAsync("lobby", default)).Count);
    }

    [Fact]
    public async Task AFullRoomDoesNotStopJoiningAnotherRoom()
    {
        for (var i = 0; i < 3; i++)
        {
            await app.JoinAsMemberAsync("lobby");
        }

        Assert.Equal(201, (await app.JoinAsync("other")).Status);
    }

    [Fact]
    public async Task MembersThatJoinedOnAnotherInstanceCount()
    {
        // Rows written by another instance: only the shared store knows about them.
        var now = app.Clock.GetUtcNow();
        for (var i = 0; i < 3; i++)
        {
            var userId = Guid.NewGuid().ToString("N");
            await app.Members.AddAsync(new Member("lobby", userId, $"elsewhere {i}", $"inbox-{userId}", now, now), default);
        }

        (await app.JoinAsync("lobby")).AssertProblem(409);
    }

    [Fact]
    public async Task AMemberLeavingMakesRoomForTheNextJoin()
    {
        var first = await app.JoinAsMemberAsync("lobby");
        await app.JoinAsMemberAsync("lobby");
        await app.JoinAsMemberAsync("lobby");
        (await app.JoinAsync("lobby")).AssertProblem(409);

        Assert.Equal(204, (await app.LeaveAsync("lobby", first.Token, first.UserId)).Status);

        Assert.Equal(201, (await app.JoinAsync("lobby")).Status);
    }

    [Fact]
    public async Task MembersSilentPastTheTimeoutDoNotKeepTheRoomFullBeforeTheCleanupRuns()
    {
        for (var i = 0; i < 3; i++)
        {
            await app.JoinAsMemberAsync("lobby");
        }

        app.Clock.Advance(TimeSpan.FromSeconds(120));
        (await app.JoinAsync("lobby")).AssertProblem(409); // exactly at the timeout they still count as online
        app.Clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(201, (await app.JoinAsync("lobby")).Status);
    }

    [Fact]
    public async Task MembersThatKeepTalkingKeepTheirPlaces()
    {
        var members = new List<Joined>();
        for (var i = 0; i < 3; i++)
        {
            members.Add(await app.JoinAsMemberAsync("lobby"));
        }

        for (var minute = 0; minute < 4; minute++)
        {
            app.Clock.Advance(TimeSpan.FromSeconds(60));
            foreach (var member in members)
            {
                Assert.Equal(201, (await app.SendTextAsync(member, $"minute {minute}")).Status);
            }
        }

        (await app.JoinAsync("lobby")).AssertProblem(409);
    }
}
