using System.Text.Json;
using Xunit.Abstractions;

namespace FunctionsChat.ContractTests;

/// <summary>
/// Part of the contract (issue 12): every route of a running DevServer answers as docs/openapi.yaml says, checked by an
/// outside validator. A member's whole journey, every error a client can cause, and storage being gone, all go through
/// Stoplight Prism's validation proxy; Prism finds nothing in any answer, and every response the document lists is
/// produced and checked at least once.
/// </summary>
[Collection(ContractCollection.Name)]
public sealed class PrismValidationTests(ContractServers servers, ITestOutputHelper output)
{
    private static readonly HttpMethod Get = HttpMethod.Get;
    private static readonly HttpMethod Post = HttpMethod.Post;
    private static readonly HttpMethod Delete = HttpMethod.Delete;

    [Fact]
    public async Task EveryAnswerOfEveryRouteIsAsTheDocumentSaysAndEveryDocumentedAnswerIsChecked()
    {
        var operations = OpenApiDocument.Operations();
        using var checks = new PrismChecks(operations);
        var room = Rooms.New("contract");
        var elsewhere = Rooms.New("contract-other");

        var journey = await MemberJourneyAsync(checks, room);
        await ErrorsOfRequestsTheDocumentAllowsAsync(checks, room, elsewhere, journey);
        await RequestsThatBreakTheDocumentAsync(checks, room, journey.Alice);
        await WithoutStorageAsync(checks, room, journey.Alice);
        await LimitsOfJoiningAsync(checks, Rooms.New("contract-full"));

        output.WriteLine($"{checks.Count} requests checked by Prism:\n{string.Join("\n", checks.Log)}");
        var documented = operations.SelectMany(o => o.Statuses.Select(status => (o.OperationId, status))).ToHashSet();
        var notChecked = documented.Except(checks.Covered).Order().ToList();
        Assert.True(notChecked.Count == 0, $"Documented answers no request produced: {string.Join(", ", notChecked)}");
        // Prism logs every violation it finds; the strict proxies found none, not even a warning.
        foreach (var strict in new[] { servers.Strict, servers.StrictWithoutStorage, servers.StrictLimited })
        {
            Assert.DoesNotContain("Violation", strict.Output, StringComparison.Ordinal);
        }
    }

    private sealed record Joined(string UserId, string Name, string Token);

    private sealed record Journey(Joined Alice, Joined Bob, Joined Carol);

    /// <summary>Join, send, history, long poll, members, leave and health, at the edges of what the document allows.</summary>
    private async Task<Journey> MemberJourneyAsync(PrismChecks checks, string room)
    {
        var strict = servers.Strict;
        var alice = await JoinAsync(checks, strict, room, Json(new { name = "Alice" }));
        var bob = await JoinAsync(checks, strict, room, json: null); // no body: a random name
        Assert.False(string.IsNullOrWhiteSpace(bob.Name));
        // The longest name: 40 characters, ten of them outside the BMP (two UTF-16 units each).
        var longestName = new string('名', 30) + string.Concat(Enumerable.Repeat("😀", 10));
        var carol = await JoinAsync(checks, strict, room, Json(new { name = longestName }));
        Assert.Equal(longestName, carol.Name);

        var first = await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 201, alice.Token,
            Json(new { text = "  你好, everyone  ", clientMessageId = "first-message" }));
        Assert.Equal("你好, everyone", first.Body.GetProperty("text").GetString());
        var replay = await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 200, alice.Token,
            Json(new { text = "你好, everyone", clientMessageId = "first-message" }));
        Assert.Equal(first.Body.GetRawText(), replay.Body.GetRawText());
        // The longest text and the longest clientMessageId, both counted in characters (code points).
        var longestText = new string('字', 1990) + string.Concat(Enumerable.Repeat("🙂", 10));
        var longestClientId = new string('k', 50) + string.Concat(Enumerable.Repeat("🔑", 50));
        var second = await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 201, carol.Token,
            Json(new { text = longestText, clientMessageId = longestClientId }));
        Assert.Equal(longestText, second.Body.GetProperty("text").GetString());
        var third = await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 201, bob.Token, Json(new { text = "third" }));
        string[] ids = [Id(first), Id(second), Id(third)];

        Assert.Equal(ids, Ids(await checks.AllowedAsync(strict, "getMessages", Get, $"rooms/{room}/messages", 200)));
        Assert.Equal(ids[1..], Ids(await checks.AllowedAsync(strict, "getMessages", Get, $"rooms/{room}/messages?after={ids[0]}&limit=500", 200)));
        Assert.Equal(ids[..2], Ids(await checks.AllowedAsync(strict, "getMessages", Get, $"rooms/{room}/messages?before={ids[2]}", 200)));
        Assert.Equal(ids[1..2], Ids(await checks.AllowedAsync(strict, "getMessages", Get, $"rooms/{room}/messages?after={ids[0]}&before={ids[2]}&limit=1", 200)));

        // Every send answered after its fan-out, so all three wait in Bob's inbox; then it is empty.
        Assert.Equal(ids, Ids(await checks.AllowedAsync(strict, "pollUpdates", Get, $"rooms/{room}/updates?timeout=5", 200, bob.Token)));
        Assert.Empty(Ids(await checks.AllowedAsync(strict, "pollUpdates", Get, $"rooms/{room}/updates?timeout=1", 200, bob.Token)));

        var members = await checks.AllowedAsync(strict, "listMembers", Get, $"rooms/{room}/members", 200);
        var online = members.Body.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("userId").GetString()).ToList();
        Assert.Equal(new[] { alice.UserId, bob.UserId, carol.UserId }.Order(), online.Order());

        await checks.AllowedAsync(strict, "leaveRoom", Delete, $"rooms/{room}/members/{bob.UserId}", 204, bob.Token);

        // A rename: a join with the member's own token. Then the history holds a notice of every kind but offline.
        var frank = await JoinAsync(checks, strict, room, Json(new { name = "Frank" }));
        var renamed = (await checks.AllowedAsync(strict, "joinRoom", Post, $"rooms/{room}/members", 201, frank.Token, Json(new { name = "Frankie" }))).Body;
        Assert.Equal("Frankie", renamed.GetProperty("name").GetString());
        var newest = await checks.AllowedAsync(strict, "getMessages", Get, $"rooms/{room}/messages", 200);
        Assert.Equal(["join", "join", "join", "leave", "join", "rename"], NoticeKinds(newest));
        Assert.Equal("Frankie", newest.Body.GetProperty("messages").EnumerateArray().Last().GetProperty("newName").GetString());
        Assert.Equal("healthy", (await checks.AllowedAsync(strict, "health", Get, "health", 200)).Body.GetProperty("status").GetString());
        return new Journey(alice, bob, carol);
    }

    /// <summary>Well-formed requests the API still refuses: tokens, rooms, members, sizes and rates.</summary>
    private async Task ErrorsOfRequestsTheDocumentAllowsAsync(PrismChecks checks, string room, string elsewhere, Journey journey)
    {
        var strict = servers.Strict;
        var (alice, bob, carol) = journey;
        var hello = Json(new { text = "hello" });

        // A token this chat did not sign (Prism only sees that there is a bearer token).
        var unauthorized = await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 401, "not-a-token", hello);
        Assert.Equal("Bearer", unauthorized.Header("WWW-Authenticate"));
        await checks.AllowedAsync(strict, "pollUpdates", Get, $"rooms/{room}/updates?timeout=1", 401, alice.Token[..^4] + "AAAA");
        await checks.AllowedAsync(strict, "leaveRoom", Delete, $"rooms/{room}/members/{alice.UserId}", 401, "Bearer x.y");
        await checks.AllowedAsync(strict, "joinRoom", Post, $"rooms/{room}/members", 401, "not-a-token", Json(new { name = "Renamed" }));

        // A valid token of another room; another member's id.
        var dave = await JoinAsync(checks, strict, elsewhere, Json(new { name = "Dave" }));
        await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 403, dave.Token, hello);
        await checks.AllowedAsync(strict, "pollUpdates", Get, $"rooms/{room}/updates?timeout=1", 403, dave.Token);
        await checks.AllowedAsync(strict, "joinRoom", Post, $"rooms/{room}/members", 403, dave.Token, Json(new { name = "Renamed" }));
        await checks.AllowedAsync(strict, "leaveRoom", Delete, $"rooms/{room}/members/{alice.UserId}", 403, dave.Token);
        await checks.AllowedAsync(strict, "leaveRoom", Delete, $"rooms/{room}/members/{alice.UserId}", 403, carol.Token);

        // A member that has left.
        await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 410, bob.Token, hello);
        await checks.AllowedAsync(strict, "pollUpdates", Get, $"rooms/{room}/updates?timeout=1", 410, bob.Token);
        await checks.AllowedAsync(strict, "leaveRoom", Delete, $"rooms/{room}/members/{bob.UserId}", 410, bob.Token);

        // Text that is only whitespace: long enough for the schema, empty once trimmed.
        await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 400, alice.Token, Json(new { text = " \t\n " }));

        // Over 16 KiB, in a property the server ignores, so the body is valid by the document.
        var padding = new string('x', 17_000);
        await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 413, alice.Token, Json(new { text = "hi", padding }));
        await checks.AllowedAsync(strict, "joinRoom", Post, $"rooms/{room}/members", 413, json: Json(new { name = "Big", padding }));

        // The send limit, with Retry-After.
        var erin = await JoinAsync(checks, strict, room, Json(new { name = "Erin" }));
        for (var i = 0; i < ContractServers.SendLimitPer10Seconds; i++)
        {
            await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 201, erin.Token, Json(new { text = $"flood {i}" }));
        }
        var limited = await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 429, erin.Token, Json(new { text = "one too many" }));
        Assert.InRange(int.Parse(limited.Header("Retry-After"), System.Globalization.CultureInfo.InvariantCulture), 1, 10);
    }

    /// <summary>Requests outside the document: Prism must name what is wrong with each, and the API answer it as documented.</summary>
    private async Task RequestsThatBreakTheDocumentAsync(PrismChecks checks, string room, Joined alice)
    {
        var reporting = servers.Reporting;
        const string badRoom = "Not_A_Room";
        string[] atRoom = ["request.path.room"];
        var hello = Json(new { text = "hello" });

        await checks.ForbiddenAsync(reporting, "joinRoom", Post, $"rooms/{badRoom}/members", 400, atRoom);
        await checks.ForbiddenAsync(reporting, "listMembers", Get, $"rooms/{badRoom}/members", 400, atRoom);
        await checks.ForbiddenAsync(reporting, "getMessages", Get, $"rooms/-{room}/messages", 400, atRoom);
        await checks.ForbiddenAsync(reporting, "sendMessage", Post, $"rooms/{badRoom}/messages", 400, atRoom, alice.Token, hello);
        await checks.ForbiddenAsync(reporting, "pollUpdates", Get, $"rooms/{badRoom}/updates?timeout=1", 400, atRoom, alice.Token);
        await checks.ForbiddenAsync(reporting, "leaveRoom", Delete, $"rooms/{badRoom}/members/{alice.UserId}", 400, atRoom, alice.Token);

        // Bodies: a name too long or with a control character; text of the wrong type, missing or too long; an empty key.
        await checks.ForbiddenAsync(reporting, "joinRoom", Post, $"rooms/{room}/members", 400, ["request.body.name"], json: Json(new { name = new string('n', 41) }));
        await checks.ForbiddenAsync(reporting, "joinRoom", Post, $"rooms/{room}/members", 400, ["request.body.name"], json: Json(new { name = "bell\u0007" }));
        await checks.ForbiddenAsync(reporting, "sendMessage", Post, $"rooms/{room}/messages", 400, ["request.body.text"], alice.Token, """{"text":5}""");
        await checks.ForbiddenAsync(reporting, "sendMessage", Post, $"rooms/{room}/messages", 400, ["request.body"], alice.Token, "{}");
        await checks.ForbiddenAsync(reporting, "sendMessage", Post, $"rooms/{room}/messages", 400, ["request"], alice.Token);
        await checks.ForbiddenAsync(reporting, "sendMessage", Post, $"rooms/{room}/messages", 400, ["request.body.text"], alice.Token, Json(new { text = new string('字', 2001) }));
        await checks.ForbiddenAsync(reporting, "sendMessage", Post, $"rooms/{room}/messages", 400, ["request.body.clientMessageId"], alice.Token, Json(new { text = "hi", clientMessageId = "" }));

        // Query parameters out of range or of the wrong form.
        foreach (var limit in new[] { "0", "501", "ten" })
        {
            await checks.ForbiddenAsync(reporting, "getMessages", Get, $"rooms/{room}/messages?limit={limit}", 400, ["request.query.limit"]);
        }
        await checks.ForbiddenAsync(reporting, "getMessages", Get, $"rooms/{room}/messages?after=not-an-id", 400, ["request.query.after"]);
        await checks.ForbiddenAsync(reporting, "getMessages", Get, $"rooms/{room}/messages?before=12345", 400, ["request.query.before"]);
        foreach (var timeout in new[] { "0", "31" })
        {
            await checks.ForbiddenAsync(reporting, "pollUpdates", Get, $"rooms/{room}/updates?timeout={timeout}", 400, ["request.query.timeout"], alice.Token);
        }

        // No token at all (Prism with --errors would answer this 401 itself).
        await checks.ForbiddenAsync(reporting, "sendMessage", Post, $"rooms/{room}/messages", 401, ["request"], json: hello);
        await checks.ForbiddenAsync(reporting, "pollUpdates", Get, $"rooms/{room}/updates?timeout=1", 401, ["request"]);
        await checks.ForbiddenAsync(reporting, "leaveRoom", Delete, $"rooms/{room}/members/{alice.UserId}", 401, ["request"]);

        // A user id of a form the server never issues: not this member's, so 403.
        await checks.ForbiddenAsync(reporting, "leaveRoom", Delete, $"rooms/{room}/members/somebody-else", 403, ["request.path.userId"], alice.Token);
    }

    /// <summary>Every route while storage cannot be reached: 503 with Retry-After, the token still accepted as signed.</summary>
    private async Task WithoutStorageAsync(PrismChecks checks, string room, Joined alice)
    {
        var strict = servers.StrictWithoutStorage;
        await checks.AllowedAsync(strict, "health", Get, "health", 503);
        await checks.AllowedAsync(strict, "joinRoom", Post, $"rooms/{room}/members", 503, json: Json(new { name = "Frank" }));
        await checks.AllowedAsync(strict, "listMembers", Get, $"rooms/{room}/members", 503);
        await checks.AllowedAsync(strict, "getMessages", Get, $"rooms/{room}/messages", 503);
        await checks.AllowedAsync(strict, "sendMessage", Post, $"rooms/{room}/messages", 503, alice.Token, Json(new { text = "into the void" }));
        await checks.AllowedAsync(strict, "pollUpdates", Get, $"rooms/{room}/updates?timeout=1", 503, alice.Token);
        var leave = await checks.AllowedAsync(strict, "leaveRoom", Delete, $"rooms/{room}/members/{alice.UserId}", 503, alice.Token);
        Assert.Equal("5", leave.Header("Retry-After"));
    }

    /// <summary>
    /// Join's own refusals, from the server with a tiny room capacity and join limit: a room full (409, problem type
    /// room-full), then one join too many from this address (429 with <c>Retry-After</c>).
    /// </summary>
    private async Task LimitsOfJoiningAsync(PrismChecks checks, string room)
    {
        var limited = servers.StrictLimited;
        for (var i = 0; i < ContractServers.MaxMembersPerRoom; i++)
        {
            await JoinAsync(checks, limited, room, Json(new { name = $"Guest {i}" }));
        }
        var full = await checks.AllowedAsync(limited, "joinRoom", Post, $"rooms/{room}/members", 409, json: Json(new { name = "Late" }));
        Assert.Equal("urn:functionschat:problem:room-full", full.Body.GetProperty("type").GetString());
        Assert.Equal("Room is full", full.Body.GetProperty("title").GetString());

        // Every join above counted against this address's allowance, the refused one too; this is one more.
        var limitedJoin = await checks.AllowedAsync(limited, "joinRoom", Post, $"rooms/{Rooms.New("contract-empty")}/members", 429, json: Json(new { name = "Eager" }));
        Assert.InRange(int.Parse(limitedJoin.Header("Retry-After"), System.Globalization.CultureInfo.InvariantCulture), 1, 60);
    }

    private static async Task<Joined> JoinAsync(PrismChecks checks, PrismProxy proxy, string room, string? json)
    {
        var joined = (await checks.AllowedAsync(proxy, "joinRoom", Post, $"rooms/{room}/members", 201, json: json)).Body;
        Assert.Equal(room, joined.GetProperty("room").GetString());
        return new Joined(joined.GetProperty("userId").GetString()!, joined.GetProperty("name").GetString()!, joined.GetProperty("token").GetString()!);
    }

    private static string Id(Checked message) => message.Body.GetProperty("id").GetString()!;

    /// <summary>The ids of the members' own messages in a page, leaving out the server's notices.</summary>
    private static string[] Ids(Checked page) => [.. page.Body.GetProperty("messages").EnumerateArray()
        .Where(m => !m.TryGetProperty("kind", out _)).Select(m => m.GetProperty("id").GetString()!)];

    private static string[] NoticeKinds(Checked page) => [.. page.Body.GetProperty("messages").EnumerateArray()
        .Where(m => m.TryGetProperty("kind", out _)).Select(m => m.GetProperty("kind").GetString()!)];

    private static string Json(object value) => JsonSerializer.Serialize(value);
}
