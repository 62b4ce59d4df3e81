using System.Text.Json;
using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// Join, leave, rename and expiry are written by the server into the room's history as notices of their own kind,
/// one history write each, and reach open pages the way messages do.
/// </summary>
public sealed class RoomNoticeTests
{
    private readonly ChatTestApp app = new(new Dictionary<string, string?> { ["Chat:RoomNotices"] = "true" });

    private async Task<List<JsonElement>> HistoryAsync(string room = "lobby") => [.. (await app.HistoryAsync(room)).Messages];

    private static string? Kind(JsonElement message) => message.TryGetProperty("kind", out var kind) ? kind.GetString() : null;

    [Fact]
    public async Task AJoinWritesOneJoinNoticeWithTheMembersNameAndAPlainTextForOldClients()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "王小明");

        var notice = Assert.Single(await HistoryAsync());
        Assert.Equal("join", Kind(notice));
        Assert.Equal("王小明", notice.GetProperty("name").GetString());
        Assert.Equal(alice.UserId, notice.GetProperty("userId").GetString());
        Assert.Equal("王小明 joined", notice.GetProperty("text").GetString());
        Assert.False(notice.TryGetProperty("newName", out _));
        Assert.Equal(1, app.History.Count("lobby"));
    }

    [Fact]
    public async Task ATextMessageCarriesNoKindSoOldClientsSeeWhatTheyAlwaysSaw()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        await app.SendTextAsync(alice, "hello");

        var message = (await HistoryAsync()).Last();
        Assert.Equal("hello", message.GetProperty("text").GetString());
        Assert.Null(Kind(message));
    }

    [Fact]
    public async Task AMemberAlreadyInTheRoomGetsTheJoinNoticeThroughItsPoll()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        await app.JoinAsMemberAsync("lobby", "Bob");

        var answer = await app.PollAsync("lobby", alice.Token, "timeout=1");

        Assert.Equal(["Alice joined", "Bob joined"], answer.MessageTexts);
        Assert.All(answer.Messages, m => Assert.Equal("join", Kind(m)));
    }

    [Fact]
    public async Task LeavingWritesALeaveNoticeThatTheOthersReceive()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        var bob = await app.JoinAsMemberAsync("lobby", "Bob");
        await app.PollAsync("lobby", alice.Token, "timeout=1"); // the join notices

        Assert.Equal(204, (await app.LeaveAsync("lobby", bob.Token, bob.UserId)).Status);

        var answer = await app.PollAsync("lobby", alice.Token, "timeout=1");
        var notice = Assert.Single(answer.Messages);
        Assert.Equal("leave", Kind(notice));
        Assert.Equal("Bob", notice.GetProperty("name").GetString());
        Assert.Equal(["join", "join", "leave"], (await HistoryAsync()).Select(Kind));
    }

    [Fact]
    public async Task WhenTheLastMemberLeavesTheNoticeIsStoredButNoFanOutRoundRuns()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        await app.SendTextAsync(alice, "bye"); // its authentication leaves the member list cached, so the leave reads none
        var listsBefore = app.Members.ListCalls;

        await app.LeaveAsync("lobby", alice.Token, alice.UserId);

        Assert.Equal(["join", null, "leave"], (await HistoryAsync()).Select(Kind));
        Assert.Equal(listsBefore, app.Members.ListCalls); // a fan-out round reads the member list
    }

    [Fact]
    public async Task AJoinWithTheMembersTokenIsARenameOneNoticeAndTheOldMemberIsGone()
    {
        var before = await app.JoinAsMemberAsync("lobby", "王小明");
        var request = ChatTestApp.Request("POST", """{ "name": "Emma" }""", before.Token);

        var response = await ChatTestApp.RunAsync(r => app.Function<FunctionsChat.Members.JoinRoom>().Run(r, "lobby", CancellationToken.None), request);

        Assert.Equal(201, response.Status);
        var renamedId = response.Json.RootElement.GetProperty("userId").GetString();
        Assert.Equal("Emma", response.Json.RootElement.GetProperty("name").GetString());
        Assert.Null(await app.Members.GetAsync("lobby", before.UserId, default));
        var history = await HistoryAsync();
        Assert.Equal(["join", "rename"], history.Select(Kind));
        var rename = history[1];
        Assert.Equal("王小明", rename.GetProperty("name").GetString());
        Assert.Equal("Emma", rename.GetProperty("newName").GetString());
        Assert.Equal(renamedId, rename.GetProperty("userId").GetString());
        Assert.Equal("王小明 is now Emma", rename.GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("not-a-token", 401)]
    [InlineData("other-room", 403)]
    public async Task ARenameWithATokenThatIsNotValidHereIsRefusedWithAProblem(string token, int status)
    {
        if (token == "other-room")
        {
            token = (await app.JoinAsMemberAsync("other", "Carol")).Token;
        }
        var request = ChatTestApp.Request("POST", """{ "name": "Emma" }""", token);

        var response = await ChatTestApp.RunAsync(r => app.Function<FunctionsChat.Members.JoinRoom>().Run(r, "lobby", CancellationToken.None), request);

        response.AssertProblem(status);
        Assert.Empty(await HistoryAsync());
    }

    [Fact]
    public async Task ARenameOfAMemberThatAlreadyLeftIsAPlainJoin()
    {
        var before = await app.JoinAsMemberAsync("lobby", "Alice");
        await app.LeaveAsync("lobby", before.Token, before.UserId);
        var request = ChatTestApp.Request("POST", """{ "name": "Emma" }""", before.Token);

        var response = await ChatTestApp.RunAsync(r => app.Function<FunctionsChat.Members.JoinRoom>().Run(r, "lobby", CancellationToken.None), request);

        Assert.Equal(201, response.Status);
        Assert.Equal(["join", "leave", "join"], (await HistoryAsync()).Select(Kind));
    }

    [Fact]
    public async Task TheCleanupTimerWritesAWentOfflineNoticeForEachMemberItRemoves()
    {
        var silent = await app.JoinAsMemberAsync("lobby", "Alice");
        app.Clock.Advance(TimeSpan.FromSeconds(121));
        var active = await app.JoinAsMemberAsync("lobby", "Bob");
        await app.PollAsync("lobby", active.Token, "timeout=1");

        await app.RunCleanupAsync();

        var notice = Assert.Single((await app.PollAsync("lobby", active.Token, "timeout=1")).Messages);
        Assert.Equal("offline", Kind(notice));
        Assert.Equal(silent.UserId, notice.GetProperty("userId").GetString());
        Assert.Equal("Alice went offline", notice.GetProperty("text").GetString());
    }

    [Fact]
    public async Task AnExpiryFoundByARequestWritesTheNoticeOnceAndTheTimerDoesNotRepeatIt()
    {
        var silent = await app.JoinAsMemberAsync("lobby", "Alice");
        app.Clock.Advance(TimeSpan.FromSeconds(121));

        (await app.SendTextAsync(silent, "am I here?")).AssertProblem(410);
        await app.RunCleanupAsync();

        Assert.Equal(["join", "offline"], (await HistoryAsync()).Select(Kind));
    }

    [Fact]
    public async Task NoticesDoNotCountAgainstTheSendLimit()
    {
        var strict = new ChatTestApp(new Dictionary<string, string?> { ["Chat:RoomNotices"] = "true", ["Chat:SendLimitPer10Seconds"] = "1" });
        var first = await strict.JoinAsMemberAsync("lobby", "Alice");
        var request = ChatTestApp.Request("POST", """{ "name": "Emma" }""", first.Token);
        var renamed = (await ChatTestApp.RunAsync(r => strict.Function<FunctionsChat.Members.JoinRoom>().Run(r, "lobby", CancellationToken.None), request)).Json.RootElement;
        var emma = new Joined("lobby", renamed.GetProperty("userId").GetString()!, "Emma", renamed.GetProperty("token").GetString()!);

        Assert.Equal(201, (await strict.SendTextAsync(emma, "my one message")).Status);
        Assert.Equal(3, strict.History.Count("lobby"));
    }

    [Fact]
    public async Task WithNoticesTurnedOffAJoinWritesNothing()
    {
        var quiet = new ChatTestApp();
        await quiet.JoinAsMemberAsync("lobby", "Alice");

        Assert.Equal(0, quiet.History.Count("lobby"));
    }

    [Fact]
    public async Task ANoticeThatCannotBeStoredDoesNotUndoTheLeave()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        app.History.AppendFails = true;

        Assert.Equal(204, (await app.LeaveAsync("lobby", alice.Token, alice.UserId)).Status);
        Assert.Null(await app.Members.GetAsync("lobby", alice.UserId, default));
    }
}
