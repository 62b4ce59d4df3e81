using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using CsCheck;
using Xunit.Abstractions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// Attack 5: property-based fuzzing (CsCheck) of every route over real HTTP against one DevServer. Random paths
/// under /api, methods, Authorization variants, content types and bodies (invalid UTF-8, deep JSON, huge numbers,
/// control characters, lone surrogates, long ids, wrong types): never a 5xx other than 503. And what the server
/// accepts is what it stores and delivers. Lengths are drawn around the limits docs/openapi.yaml states. Bounded
/// iterations; CsCheck prints the seed of a failure, and CsCheck_Seed=... replays it.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class FuzzTests(SharedServer shared, ITestOutputHelper output)
{
    private const int RequestIterations = 400;
    private const int StoredIterations = 100;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(40);

    public enum Auth { None, Valid, OtherRoom, LeftMember, Empty, WrongScheme, Garbage, Forged, Tampered, Huge }

    public sealed record FuzzRequest(string Method, string PathAndQuery, Auth Auth, string? ContentType, byte[]? Body, (string Name, string Value)? Extra)
    {
        public override string ToString()
        {
            var body = Body is null ? "no body" : $"{Body.Length} bytes: {Preview(Body)}";
            return $"{Method} {PathAndQuery} auth={Auth} type={ContentType ?? "none"} extra={Extra?.Name ?? "none"} {body}";
        }

        private static string Preview(byte[] body)
        {
            var text = Encoding.UTF8.GetString(body, 0, Math.Min(body.Length, 160));
            return JsonSerializer.Serialize(text) + (body.Length > 160 ? "…" : "");
        }
    }

    // ---- generators ---------------------------------------------------------------------------------------------

    /// <summary>Characters that break things: controls, whitespace of every kind, markup, quotes, CJK, RTL, emoji halves.</summary>
    private static readonly Gen<char> NastyChar = Gen.Frequency(
        (6, Gen.Char['a', 'z']),
        (2, Gen.Char["ABCXYZ0123456789-_."]),
        (2, Gen.Char["\0\u0001\u0007\b\t\n\v\f\r\u001b\u001f\u007f\u0085"]),
        (2, Gen.Char[" \u00a0\u1680\u2000\u2028\u2029\u202f\u3000\ufeff\u200b\u200d"]),
        (2, Gen.Char["<>&\"'\\/%?#[]{}:;=+*!$@^`|~"]),
        (2, Gen.Char["你好世界中文\u202e\u05d0\u0301\u0627"]),
        (1, Gen.Char['\ud800', '\udfff']), // lone surrogate halves
        (1, Gen.Char['\u0080', '\uffff']));

    private static readonly Gen<string> NastyString = Gen.Frequency(
        (8, Gen.String[NastyChar, 0, 24]),
        (1, Gen.String[NastyChar, 200, 600]),
        (1, Gen.Int[DocumentLimits.MaxTextLength - 10, DocumentLimits.MaxTextLength + 100].Select(n => new string('字', n))));

    private static readonly Gen<string> Segment = Gen.Frequency(
        (5, Gen.String[NastyChar, 0, 40].Select(Uri.EscapeDataString)),
        (1, Gen.Int[33, 400].Select(n => new string('a', n))),
        (2, Gen.OneOf("..", ".", "%2e%2e", "%00", "%ff", "%2F", "%5C", "%", "%%", "~", ";", "a;b=c", "rooms", "members", "messages", "updates", "health", "", " ", "%20")));

    private static Gen<string> RoomGen(string room) => Gen.Frequency(
        (6, Gen.Const(room)),
        (2, Gen.Const("fuzz-other-room")),
        (3, Segment));

    private static Gen<string> QueryValue => Gen.Frequency(
        (3, Gen.OneOf("0639312538709513702-356ae7a4", "9999999999999999999-ffffffff", "0", "-1", "1", "500", "501", "99999999999999999999", "1e3", "0x10", "", " 5", "+5", "NaN", "1.5")),
        (2, Segment));

    /// <summary>A route of the API with fuzzed parts, and the method it answers (random paths: none).</summary>
    private static Gen<(string Path, string? Method)> PathGen(string room, string userId) => Gen.Frequency(
        (3, Gen.Select(RoomGen(room), r => ($"api/rooms/{r}/members", (string?)"POST"))),
        (2, Gen.Select(RoomGen(room), r => ($"api/rooms/{r}/members", (string?)"GET"))),
        (2, Gen.Select(RoomGen(room), Gen.Frequency((3, Gen.Const(userId)), (1, Gen.Const("0123456789abcdef0123456789abcdef")), (2, Segment)),
            (r, u) => ($"api/rooms/{r}/members/{u}", (string?)"DELETE"))),
        (5, Gen.Select(RoomGen(room), r => ($"api/rooms/{r}/messages", (string?)"POST"))),
        (3, Gen.Select(RoomGen(room), Gen.OneOf("after", "before", "limit", "x"), QueryValue, Gen.OneOf("after", "limit"), QueryValue,
            (r, k1, v1, k2, v2) => ($"api/rooms/{r}/messages?{k1}={v1}&{k2}={v2}", (string?)"GET"))),
        // Long polls always carry a timeout of at most 2 s here (valid or not): the default 30 s would stall the run.
        (3, Gen.Select(RoomGen(room), Gen.OneOf("1", "2", "0", "31", "-1", "abc", "", "1.5", "99999999999999999999"),
            (r, t) => ($"api/rooms/{r}/updates?timeout={t}", (string?)"GET"))),
        (1, Gen.Const(("api/health", (string?)"GET"))),
        (3, Gen.Select(Segment.Array[1, 6], parts => ("api/" + string.Join('/', parts), (string?)null))));

    private static readonly Gen<string> Method = Gen.Frequency(
        (4, Gen.OneOf("GET", "POST", "DELETE")),
        (1, Gen.OneOf("PUT", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO", "get", "Post")));

    private static readonly Gen<string?> ContentType = Gen.OneOf<string?>(
        null, "application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/json; charset=utf-16", "garbage/../x", "application/problem+json");

    private static readonly Gen<string> JsonScalar = Gen.Frequency(
        (3, NastyString.Select(s => JsonSerializer.Serialize(s))),
        (1, Gen.OneOf("1e999999", "-1e999999", "123456789012345678901234567890123456789012345678901234567890", "-0", "0.0000000000000000000001",
            "true", "false", "null", "NaN", "Infinity", "\"\\ud800\"", "\"\\udc00x\"", "\"a\\u0000b\"", "\"\\u001f\"")),
        (1, Gen.Int.Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));

    private static readonly Gen<string> JsonValue = Gen.Recursive<string>((depth, inner) => depth >= 4
        ? JsonScalar
        : Gen.Frequency(
            (4, JsonScalar),
            (1, inner.Array[0, 4].Select(items => $"[{string.Join(',', items)}]")),
            (1, Gen.Select(Gen.OneOf("text", "name", "clientMessageId", "x", "").Array[0, 4], inner.Array[4, 4],
                (keys, values) => "{" + string.Join(',', keys.Select((k, i) => $"\"{k}\":{values[i]}")) + "}"))));

    private static readonly Gen<byte[]?> Body = Gen.Frequency<byte[]?>(
        (2, Gen.Const<byte[]?>(() => null)),
        (3, NastyString.Select(n => Utf8(JsonSerializer.Serialize(new { name = n })))),
        (4, Gen.Select(NastyString, Gen.Frequency<string?>((2, Gen.Const<string?>(() => null)), (2, NastyString.Select(s => (string?)s)), (1, Gen.Int[DocumentLimits.MaxClientMessageIdLength + 1, 3000].Select(n => (string?)new string('i', n)))),
            (text, id) => Utf8(JsonSerializer.Serialize(new { text, clientMessageId = id })))),
        (3, JsonValue.Select(Utf8)),
        (1, Gen.Select(Gen.Int[10, 6000], Gen.Bool, (n, arrays) => Utf8(arrays ? new string('[', n) + new string(']', n) : string.Concat(Enumerable.Repeat("{\"text\":", n)) + "1" + new string('}', n)))),
        (2, Gen.Byte.Array[1, 64].Select(b => (byte[]?)b)), // mostly invalid UTF-8
        (1, Gen.Select(Gen.Int[16 * 1024 - 20, 16 * 1024 + 20], n => Utf8("{\"text\":\"" + new string('x', n) + "\"}"))),
        (1, Gen.OneOf(
            "{\"text\":\"a\u0001b\"}", "{\"text\":\"line\nbreak\"}", "{\"text\":\"a\",\"text\":\"b\"}", "{\"text\":\"a\"} trailing",
            "{\"text\":\"a\"", "\uFEFF{\"text\":\"bom\"}", "{'text':'single quotes'}", "{\"text\":\"a\",}", "/*c*/{\"text\":\"a\"}",
            "[]", "\"just a string\"", "null", "0", " ", "{}").Select(Utf8)),
        (1, Gen.Const<byte[]?>(Encoding.Unicode.GetBytes("{\"text\":\"utf-16\"}"))));

    private static readonly Gen<(string, string)?> Extra = Gen.OneOf<(string, string)?>(
        null, null, null, ("Accept", "text/html"), ("Content-Encoding", "gzip"), ("X-Forwarded-For", "1.2.3.4, evil"),
        ("Origin", "http://evil.example"), ("Accept-Charset", "utf-7"), ("X-HTTP-Method-Override", "DELETE"));

    /// <summary>Mostly the route's own method, so most requests get past routing into the function.</summary>
    private static Gen<FuzzRequest> RequestGen(string room, string userId) =>
        Gen.Select(PathGen(room, userId), Gen.Int[0, 4], Method, Gen.Enum<Auth>(), ContentType, Body, Extra,
            (route, dice, anyMethod, auth, type, body, extra) =>
                new FuzzRequest(route.Method is { } own && dice > 0 ? own : anyMethod, route.Path, auth, type, body, extra));

    private static byte[]? Utf8(string s) => Encoding.UTF8.GetBytes(s);

    // ---- property 1: no input gives a 5xx other than 503 ----------------------------------------------------------

    [Fact]
    public async Task NoRequestOnAnyRouteGetsA5xxOtherThan503()
    {
        using var http = new ChatApi(shared.BaseAddress, RequestTimeout);
        var room = Rooms.New("fuzz");
        var state = new FuzzState(http, room);
        await state.InitializeAsync();
        var statuses = new Dictionary<int, int>();
        var slowest = TimeSpan.Zero;
        var sent = 0;

        var failures = new FirstFailure();
        await failures.ReportAsync(() => RequestGen(room, state.Self.UserId).SampleAsync(request => failures.RunAsync(request.ToString(), async () =>
        {
            using var message = state.Build(request);
            if (message is null)
            {
                return; // not expressible as an HTTP request by HttpClient (an invalid URI)
            }
            Answer answer;
            try
            {
                answer = await http.SendAsync(message);
            }
            catch (TaskCanceledException)
            {
                throw new Xunit.Sdk.XunitException($"No answer within {RequestTimeout.TotalSeconds} s: {request}");
            }
            lock (statuses)
            {
                sent++;
                statuses[answer.Status] = statuses.GetValueOrDefault(answer.Status) + 1;
                slowest = answer.Took > slowest ? answer.Took : slowest;
            }
            Assert.False(answer.Status >= 500 && answer.Status != 503, $"HTTP {answer.Status} for {request}: {answer.Json?.GetRawText()}");
            // Function results always carry a problem body; Kestrel refuses a NUL in the decoded path itself, bodiless,
            // before any function runs.
            if (answer.Status is 400 or 401 or 403 or 410 or 413 or 429 && !(answer.Status == 400 && answer.Json is null && request.PathAndQuery.Contains("%00")))
            {
                Assert.True(answer.ContentType == "application/problem+json" && answer.Body.GetProperty("status").GetInt32() == answer.Status,
                    $"HTTP {answer.Status} without its problem body for {request}");
            }
            await state.AfterAsync(request, answer);
        }), iter: RequestIterations, threads: 1, print: r => r.ToString()));

        output.WriteLine($"{sent} fuzzed requests; statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} ×{s.Value}"))}; slowest {slowest.TotalMilliseconds:0} ms.");
        Assert.DoesNotContain(503, statuses.Keys); // storage is up: not even a 503
    }

    /// <summary>Content-Length and chunking that lie, which HttpClient cannot send: never a 5xx, never a hang.</summary>
    [Fact]
    public async Task BodiesThatLieAboutTheirLengthGetA4xxNeverA5xx()
    {
        using var http = new ChatApi(shared.BaseAddress);
        var room = Rooms.New("fuzz-raw");
        var member = await http.JoinAsync(room, "Raw");
        var auth = $"Authorization: Bearer {member.Token}";
        (string What, string Head, string Body)[] cases =
        [
            ("Content-Length longer than the body", $"POST /api/rooms/{room}/messages HTTP/1.1\nHost: x\n{auth}\nContent-Type: application/json\nContent-Length: 100", "{\"text\":\"short\"}"),
            ("Content-Length shorter than the body", $"POST /api/rooms/{room}/messages HTTP/1.1\nHost: x\n{auth}\nContent-Length: 5", "{\"text\":\"longer than five\"}"),
            ("two Content-Lengths", $"POST /api/rooms/{room}/members HTTP/1.1\nHost: x\nContent-Length: 2\nContent-Length: 3", "{}"),
            ("Content-Length not a number", $"POST /api/rooms/{room}/members HTTP/1.1\nHost: x\nContent-Length: abc", "{}"),
            ("Content-Length huge", $"POST /api/rooms/{room}/members HTTP/1.1\nHost: x\nContent-Length: 99999999999", "{}"),
            ("broken chunk size", $"POST /api/rooms/{room}/messages HTTP/1.1\nHost: x\n{auth}\nTransfer-Encoding: chunked", "zz\r\nabc\r\n0\r\n\r\n"),
            ("chunked body that stops", $"POST /api/rooms/{room}/members HTTP/1.1\nHost: x\nTransfer-Encoding: chunked", "5\r\n{\"nam\r\n4000\r\nabc"),
            ("chunked and Content-Length", $"POST /api/rooms/{room}/members HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nContent-Length: 4", "2\r\n{}\r\n0\r\n\r\n"),
            ("chunked over 16 KiB", $"POST /api/rooms/{room}/messages HTTP/1.1\nHost: x\n{auth}\nTransfer-Encoding: chunked", $"4800\r\n{new string('x', 0x4800)}\r\n0\r\n\r\n"),
            ("NUL in the path", $"GET /api/rooms/a%00b/messages HTTP/1.1\nHost: x", ""),
            ("raw UTF-8 in the path", $"GET /api/rooms/房间/messages HTTP/1.1\nHost: x", ""),
            ("no Host", $"GET /api/health HTTP/1.1", ""),
            ("header without a colon", $"GET /api/health HTTP/1.1\nHost: x\nnonsense", ""),
        ];
        var results = new List<string>();
        foreach (var (what, head, body) in cases)
        {
            // Kestrel waits for a body that never comes until its minimum data rate gives up (~5 s): bounded.
            var reply = await RawHttp.SendAsync(shared.BaseAddress, head, Encoding.UTF8.GetBytes(body), TimeSpan.FromSeconds(30));
            results.Add($"{what}: {(reply.Status == 0 ? "connection closed" : reply.Status)} in {reply.Took.TotalSeconds:0.0} s");
            Assert.True(reply.Status is 0 or (>= 200 and < 500), $"{what}: HTTP {reply.Status}\n{reply.Text[..Math.Min(400, reply.Text.Length)]}");
        }
        output.WriteLine(string.Join("\n", results));
        // None of them stored anything.
        Assert.Empty(await http.AllMessagesAsync(room));
    }

    // ---- property 2: what was accepted is what is stored and delivered --------------------------------------------

    [Fact]
    public async Task AnAcceptedMessageIsStoredAndDeliveredExactlyAsAccepted()
    {
        using var http = new ChatApi(shared.BaseAddress, RequestTimeout);
        var room = Rooms.New("fuzz-store");
        var member = await http.JoinAsync(room, "  存储 Store\u00a0");
        Assert.Equal("存储 Store", member.Name); // names are trimmed too
        string? lastId = null;
        var accepted = 0;
        var refused = 0;
        var replayed = 0;
        var sentIds = new List<(string? ClientMessageId, JsonElement Message)>();

        var texts = Gen.Frequency(
            (8, Gen.String[NastyChar.Where(c => !char.IsSurrogate(c)), 0, 40]),
            // Whole surrogate pairs only (lone halves are refused as invalid JSON, which the first property covers).
            (1, Gen.OneOf("😀", "👍🏽", "🇨🇳", "👨‍👩‍👧", "字", " ").Array[1, 12].Select(parts => string.Concat(parts))),
            (1, Gen.Int[DocumentLimits.MaxTextLength - 5, DocumentLimits.MaxTextLength + 5].Select(n => " " + new string('长', n) + " ")));
        var clientIds = Gen.Frequency<string?>((1, Gen.Const<string?>(() => null)), (3, Gen.String[Gen.Char['a', 'z'], 1, DocumentLimits.MaxClientMessageIdLength].Select(s => (string?)s)));
        var replay = Gen.Int[0, 4].Select(n => n == 0); // one in five: send an earlier clientMessageId again

        var failures = new FirstFailure();
        await failures.ReportAsync(() => Gen.Select(texts, clientIds, replay).SampleAsync((text, clientMessageId, resend) =>
            failures.RunAsync($"text={JsonSerializer.Serialize(text)} clientMessageId={clientMessageId} resend={resend}", async () =>
        {
            if (resend && sentIds.LastOrDefault(s => s.ClientMessageId is not null) is { ClientMessageId: { } earlierId, Message: var earlier })
            {
                // The same clientMessageId with other text: the first message again, nothing new stored.
                // Other text, still valid (a longer one could fail validation first, which is fine but not the point).
                var again = await http.SendMessageAsync(room, member.Token, "changed: " + text[..Math.Min(text.Length, 40)], earlierId);
                Assert.True(again.Status is 200 or 201, $"replay: {again}");
                Assert.Equal(earlier.GetRawText(), again.Body.GetRawText());
                Assert.Empty((await http.HistoryAsync(room, $"?after={lastId}")).Messages);
                replayed++;
                return;
            }
            var expected = text.Trim();
            var answer = await http.SendMessageAsync(room, member.Token, text, clientMessageId);
            var runes = expected.EnumerateRunes().Count();
            if (expected.Length == 0 || runes > DocumentLimits.MaxTextLength)
            {
                Assert.True(answer.Status == 400, $"{runes} characters after trimming: expected 400, got {answer}");
                refused++;
                return;
            }
            Assert.True(answer.Status == 201, $"expected 201 for {JsonSerializer.Serialize(text)}: {answer}");
            var message = answer.Body;
            Assert.Equal(expected, message.GetProperty("text").GetString());
            Assert.Equal(member.Name, message.GetProperty("name").GetString());
            Assert.Equal(member.UserId, message.GetProperty("userId").GetString());
            Assert.Equal(room, message.GetProperty("room").GetString());

            // Stored as accepted: history after the previous id holds exactly this message, field for field.
            var stored = await http.HistoryAsync(room, lastId is null ? "" : $"?after={lastId}");
            AssertSameMessages(message, stored.Messages, "history");
            // Delivered as accepted: the member's own long poll gets it (a sender is in its own room; the 201 came after
            // the fan-out, so it is waiting in the queue already).
            var delivered = await http.PollAsync(room, member.Token, 5);
            // Exactly, with no tolerance: queue messages travel as Base64 (StorageClientFactory), so Azurite's
            // chunk-by-chunk UTF-8 decoding of queue text (docs/reliability.md, finding 3) cannot split a character.
            AssertSameMessages(message, delivered.Messages, "long poll");
            lastId = message.GetProperty("id").GetString();
            sentIds.Add((clientMessageId, message));
            accepted++;
        }), iter: StoredIterations, threads: 1, print: t => $"text={JsonSerializer.Serialize(t.Item1)} clientMessageId={t.Item2} resend={t.Item3}"));

        var all = await http.AllMessagesAsync(room);
        output.WriteLine($"{accepted} accepted, stored and delivered as accepted, {refused} refused (empty or over {DocumentLimits.MaxTextLength} after trimming), {replayed} replays answered with the first message; history holds {all.Count}.");
        Assert.Equal(accepted, all.Count);
    }

    private static void AssertSameMessages(JsonElement accepted, IReadOnlyList<JsonElement> found, string where)
    {
        Assert.True(found.Count == 1, $"{where}: {found.Count} messages instead of the one accepted");
        var differences = accepted.EnumerateObject()
            .Where(p => !found[0].TryGetProperty(p.Name, out var other) || other.GetRawText() != p.Value.GetRawText())
            .Select(p => $"{p.Name}: accepted {Clip(p.Value.GetRawText())}, {where} {(found[0].TryGetProperty(p.Name, out var o) ? Clip(o.GetRawText()) : "missing")}")
            .ToList();
        Assert.True(differences.Count == 0, $"{where} differs from what was accepted: {string.Join("; ", differences)}");
    }

    private static string Clip(string s) => s.Length <= 300 ? s : $"{s[..150]}…{s[^150..]} ({s.Length} chars)";

    /// <summary>
    /// These properties talk to a server that keeps state, so after a first failure the later (shrinking) runs can
    /// fail only because of it. The first failure is kept and reported with CsCheck's seed and shrunk case.
    /// </summary>
    private sealed class FirstFailure
    {
        private string? _first;

        public async Task RunAsync(string input, Func<Task> property)
        {
            try
            {
                await property();
            }
            catch (Exception e)
            {
                _first ??= $"First failure: {Clip(input)}\n{e.Message}";
                throw;
            }
        }

        public async Task ReportAsync(Func<Task> sample)
        {
            try
            {
                await sample();
            }
            catch (CsCheckException e)
            {
                throw new Xunit.Sdk.XunitException($"{_first}\n\nCsCheck: {e.Message}");
            }
        }
    }

    /// <summary>The fuzzer's members and what each Auth means at the moment a request is made.</summary>
    private sealed class FuzzState(ChatApi http, string room)
    {
        public Member Self { get; private set; } = null!;

        private Member _otherRoom = null!;
        private Member _left = null!;

        public async Task InitializeAsync()
        {
            Self = await http.JoinAsync(room, "Fuzzy");
            _otherRoom = await http.JoinAsync("fuzz-other-room", "Elsewhere");
            _left = await http.JoinAsync(room, "Gone");
            Assert.Equal(204, (await http.LeaveAsync(room, _left.UserId, _left.Token)).Status);
        }

        public HttpRequestMessage? Build(FuzzRequest request)
        {
            if (!Uri.TryCreate(http.Http.BaseAddress, request.PathAndQuery, out var uri))
            {
                return null;
            }
            var message = new HttpRequestMessage(new HttpMethod(request.Method), uri);
            var authorization = request.Auth switch
            {
                Auth.None => null,
                Auth.Valid => $"Bearer {Self.Token}",
                Auth.OtherRoom => $"Bearer {_otherRoom.Token}",
                Auth.LeftMember => $"Bearer {_left.Token}",
                Auth.Empty => "Bearer ",
                Auth.WrongScheme => $"Basic {Self.Token}",
                Auth.Garbage => "Bearer ....",
                Auth.Forged => $"Bearer {Tokens.Forged(room, Self.UserId, Self.Name)}",
                Auth.Tampered => $"Bearer {Tokens.WithFlippedSignature(Self.Token)}",
                Auth.Huge => $"Bearer {new string('x', 9000)}.{new string('y', 9000)}",
                _ => null,
            };
            if (authorization is not null)
            {
                message.Headers.TryAddWithoutValidation("Authorization", authorization);
            }
            if (request.Body is not null)
            {
                message.Content = new ByteArrayContent(request.Body);
                if (request.ContentType is not null)
                {
                    message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
                }
            }
            if (request.Extra is { } extra)
            {
                if (extra.Name == "Content-Encoding")
                {
                    message.Content?.Headers.TryAddWithoutValidation(extra.Name, extra.Value);
                }
                else
                {
                    message.Headers.TryAddWithoutValidation(extra.Name, extra.Value);
                }
            }
            return message;
        }

        /// <summary>
        /// The fuzzer may make its own member leave (DELETE with its token and id): join again to carry on. A join with
        /// its token is a rename, whose new member replaces it: carry on as that one.
        /// </summary>
        public async Task AfterAsync(FuzzRequest request, Answer answer)
        {
            if (answer.Status == 204 && request.Auth == Auth.Valid)
            {
                Self = await http.JoinAsync(room, "Fuzzy");
            }
            else if (answer.Status == 201 && request.Auth == Auth.Valid && request.Method == "POST" && request.PathAndQuery.EndsWith("/members", StringComparison.Ordinal))
            {
                var renamed = answer.Body;
                Self = new Member(room, renamed.GetProperty("userId").GetString()!, renamed.GetProperty("name").GetString()!, renamed.GetProperty("token").GetString()!);
            }
        }
    }
}
