using System.Net.Http.Json;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// CORS for the configured origins only, a Content-Security-Policy header on the page that forbids inline script,
/// and nosniff on the API, all checked over real HTTP (and the CSP in Chromium).
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed partial class SecurityHeaderTests(Browser browser, SharedServer shared, ITestOutputHelper output)
{
    private const string Evil = "http://evil.example";

    [Fact]
    public async Task CorsAnswersTheConfiguredOriginAndNoOtherPreflightIncluded()
    {
        using var http = new HttpClient { BaseAddress = shared.BaseAddress };
        var room = Rooms.New("cors");
        await AssertCorsAsync(http, room, allowed: SharedServer.AllowedOrigin, refused: Evil);
    }

    [Fact]
    public async Task CorsOriginsComeFromHostCorsInLocalSettingsLikeFuncStart()
    {
        // A checkout of its own (package.json marks the root) whose Functions/local.settings.json has a Host section.
        var checkout = Directory.CreateTempSubdirectory("reliability-cors-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(checkout, "package.json"), "{}");
            Directory.CreateDirectory(Path.Combine(checkout, "Functions"));
            File.WriteAllText(Path.Combine(checkout, "Functions", "local.settings.json"), """
                {
                  "IsEncrypted": false,
                  "Values": { "AzureWebJobsStorage": "UseDevelopmentStorage=true", "Chat__SigningKey": "reliability-tests-signing-key-0123456789abcdef" },
                  "Host": { "CORS": "http://page.example:5500, http://second.example", "CORSCredentials": false }
                }
                """);
            await using var server = DevServerProcess.Start(new Dictionary<string, string>(), workingDirectory: checkout);
            await server.WaitUntilHealthyAsync();
            Assert.Contains("CORS: http://page.example:5500, http://second.example (Host.CORS in", server.Output);
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            var room = Rooms.New("cors");
            await AssertCorsAsync(http, room, allowed: "http://page.example:5500", refused: "http://page.example");
            await AssertCorsAsync(http, room, allowed: "http://second.example", refused: Evil);
        }
        finally
        {
            Directory.Delete(checkout, recursive: true);
        }
    }

    private static async Task AssertCorsAsync(HttpClient http, string room, string allowed, string refused)
    {
        // A simple request: the allowed origin may read the answer (and Retry-After), another may not.
        foreach (var (origin, ok) in new[] { (allowed, true), (refused, false) })
        {
            using var get = new HttpRequestMessage(HttpMethod.Get, $"api/rooms/{room}/messages");
            get.Headers.Add("Origin", origin);
            using var answer = await http.SendAsync(get);
            Assert.Equal(200, (int)answer.StatusCode);
            AssertAllowOrigin(answer, ok ? origin : null, $"GET from {origin}");
            if (ok)
            {
                Assert.Contains("Retry-After", string.Join(",", answer.Headers.GetValues("Access-Control-Expose-Headers")));
            }

            // The preflight a page on that origin sends before a POST with a token.
            using var preflight = new HttpRequestMessage(HttpMethod.Options, $"api/rooms/{room}/messages");
            preflight.Headers.Add("Origin", origin);
            preflight.Headers.Add("Access-Control-Request-Method", "POST");
            preflight.Headers.Add("Access-Control-Request-Headers", "authorization,content-type");
            using var preflightAnswer = await http.SendAsync(preflight);
            Assert.True((int)preflightAnswer.StatusCode < 500);
            AssertAllowOrigin(preflightAnswer, ok ? origin : null, $"preflight from {origin}");
            if (ok)
            {
                Assert.Contains("POST", string.Join(",", preflightAnswer.Headers.GetValues("Access-Control-Allow-Methods")));
                Assert.Contains("authorization", string.Join(",", preflightAnswer.Headers.GetValues("Access-Control-Allow-Headers")), StringComparison.OrdinalIgnoreCase);
                Assert.False(preflightAnswer.Headers.Contains("Access-Control-Allow-Credentials"));
            }
            else
            {
                Assert.False(preflightAnswer.Headers.Contains("Access-Control-Allow-Methods"), $"preflight from {origin} lists methods");
            }
        }
    }

    private static void AssertAllowOrigin(HttpResponseMessage answer, string? expected, string what)
    {
        var values = answer.Headers.TryGetValues("Access-Control-Allow-Origin", out var found) ? found.ToList() : [];
        Assert.DoesNotContain("*", values);
        if (expected is null)
        {
            Assert.True(values.Count == 0, $"{what}: Access-Control-Allow-Origin {string.Join(",", values)}");
        }
        else
        {
            Assert.Equal([expected], values);
        }
    }

    [Fact]
    public async Task ThePageIsServedWithAContentSecurityPolicyHeaderThatForbidsInlineScript()
    {
        using var http = new HttpClient { BaseAddress = shared.BaseAddress };
        foreach (var path in new[] { "/", "/index.html", "/app.js", "/?room=lobby" })
        {
            using var answer = await http.GetAsync(path);
            Assert.Equal(200, (int)answer.StatusCode);
            var policy = Directives(string.Join(";", answer.Headers.GetValues("Content-Security-Policy")));
            Assert.Equal(["'self'"], policy["script-src"]);
            Assert.Equal(["'self'"], policy["default-src"]);
            Assert.Equal(["'none'"], policy["object-src"]);
            Assert.Equal(["'none'"], policy["frame-ancestors"]);
            Assert.DoesNotContain(policy.Values.SelectMany(v => v), v => v is "'unsafe-inline'" or "'unsafe-eval'" or "'unsafe-hashes'" or "*");
            Assert.Equal("nosniff", answer.Headers.GetValues("X-Content-Type-Options").Single());
            if (path == "/")
            {
                // The header and the page's own meta tag (which is all a storage static website can send) agree.
                var meta = MetaPolicy().Match(await answer.Content.ReadAsStringAsync());
                Assert.True(meta.Success, "index.html has a CSP meta tag");
                var fromMeta = Directives(meta.Groups["policy"].Value);
                Assert.Equal(fromMeta.Keys.Order(), policy.Keys.Where(k => k != "frame-ancestors").Order());
                Assert.All(fromMeta, d => Assert.Equal(d.Value, policy[d.Key]));
            }
        }
    }

    [Fact]
    public async Task InChromiumTheHeaderAloneBlocksInjectedInlineScriptAndHandlers()
    {
        // The page as served, but with its meta CSP removed and an inline script and handler injected: only the
        // header stands between them and execution. Then once more without the header, to show the check can fail.
        foreach (var keepHeader in new[] { true, false })
        {
            var room = Rooms.New("csp");
            var person = await Person.OpenAsync(browser.Chromium, shared.BaseAddress, room, "Inline", prepare: context =>
                context.RouteAsync(url => new Uri(url).AbsolutePath is "/" or "/index.html", async route =>
                {
                    var served = await route.FetchAsync();
                    var html = MetaTag().Replace(await served.TextAsync(), "");
                    html = html.Replace("</body>", """<script>window.inlineRan = true;</script><img src="x" onerror="window.handlerRan = true"></body>""");
                    var headers = served.Headers.Where(h => keepHeader || !h.Key.Equals("content-security-policy", StringComparison.OrdinalIgnoreCase))
                        .ToDictionary(h => h.Key, h => h.Value);
                    await route.FulfillAsync(new RouteFulfillOptions { Status = served.Status, Headers = headers, Body = html });
                }));
            try
            {
                // The page's own module scripts ran (it joined and is delivering) either way.
                var ran = await person.Page.EvaluateAsync<bool[]>("() => [window.inlineRan === true, window.handlerRan === true]");
                output.WriteLine($"CSP header {(keepHeader ? "kept" : "removed")}: inline script ran: {ran[0]}, inline handler ran: {ran[1]}");
                Assert.Equal(keepHeader ? [false, false] : [true, true], ran);
                if (keepHeader)
                {
                    Assert.Contains(person.Errors, e => e.Contains("Content Security Policy", StringComparison.Ordinal));
                }
            }
            finally
            {
                await person.CloseAsync();
            }
        }
    }

    [Fact]
    public async Task ApiAnswersOfEveryKindCarryNosniffAndNoStore()
    {
        using var http = new ChatApi(shared.BaseAddress);
        var room = Rooms.New("nosniff");
        var member = await http.JoinAsync(room, "Sniff");
        var other = await http.JoinAsync(Rooms.New("nosniff"), "Other");
        (string What, HttpRequestMessage Request, int Expected)[] requests =
        [
            ("join", new(HttpMethod.Post, $"api/rooms/{room}/members") { Content = JsonContent.Create(new { name = "X" }) }, 201),
            ("history", new(HttpMethod.Get, $"api/rooms/{room}/messages"), 200),
            ("members", new(HttpMethod.Get, $"api/rooms/{room}/members"), 200),
            ("health", new(HttpMethod.Get, "api/health"), 200),
            ("send", Authorized(new(HttpMethod.Post, $"api/rooms/{room}/messages") { Content = JsonContent.Create(new { text = "hi" }) }, member.Token), 201),
            ("poll", Authorized(new(HttpMethod.Get, $"api/rooms/{room}/updates?timeout=1"), member.Token), 200),
            ("bad room", new(HttpMethod.Get, "api/rooms/NOT_A_ROOM/messages"), 400),
            ("no token", new(HttpMethod.Post, $"api/rooms/{room}/messages") { Content = JsonContent.Create(new { text = "hi" }) }, 401),
            ("other room", Authorized(new(HttpMethod.Get, $"api/rooms/{room}/updates?timeout=1"), other.Token), 403),
            ("too large", Authorized(new(HttpMethod.Post, $"api/rooms/{room}/messages") { Content = new StringContent(new string('x', 20_000)) }, member.Token), 413),
            ("leave", Authorized(new(HttpMethod.Delete, $"api/rooms/{room}/members/{member.UserId}"), member.Token), 204),
            ("gone", Authorized(new(HttpMethod.Get, $"api/rooms/{room}/updates?timeout=1"), member.Token), 410),
            ("no such route", new(HttpMethod.Get, "api/nothing-here"), 404),
        ];
        foreach (var (what, request, expected) in requests)
        {
            using (request)
            using (var answer = await http.Http.SendAsync(request))
            {
                Assert.True((int)answer.StatusCode == expected, $"{what}: HTTP {(int)answer.StatusCode}, expected {expected}");
                Assert.True(answer.Headers.TryGetValues("X-Content-Type-Options", out var values) && values.Single() == "nosniff", $"{what}: no nosniff");
                if (expected != 404)
                {
                    Assert.Equal("no-store", answer.Headers.CacheControl?.ToString());
                }
            }
        }
    }

    [Fact]
    public async Task AnErrorAnswerNeverEchoesTheCallersBearerToken()
    {
        // A chunked body that breaks while it is read. DevServer reads it while forwarding it to the worker; an
        // exception there would reach the developer exception page, which lists the request's headers (as text, HTML
        // or JSON). It must answer a plain 400 problem instead, whatever the caller accepts.
        using var http = new ChatApi(shared.BaseAddress);
        var room = Rooms.New("echo");
        var member = await http.JoinAsync(room, "Echo");
        var signature = member.Token[(member.Token.IndexOf('.') + 1)..];
        foreach (var accept in new[] { "*/*", "text/html", "application/json" })
        {
            var reply = await RawHttp.SendAsync(shared.BaseAddress,
                $"POST /api/rooms/{room}/messages HTTP/1.1\nHost: localhost\nAccept: {accept}\nAuthorization: Bearer {member.Token}\nTransfer-Encoding: chunked",
                Encoding.ASCII.GetBytes("zz\r\nnot a chunk\r\n0\r\n\r\n"));
            output.WriteLine($"Accept {accept}: HTTP {reply.Status}, {reply.Text.Length} characters");
            Assert.Equal(400, reply.Status);
            Assert.Contains("application/problem+json", reply.Text);
            Assert.DoesNotContain("BadHttpRequestException", reply.Text);
            Assert.False(reply.Text.Contains(signature, StringComparison.Ordinal), $"Accept {accept}: the error answer echoes the bearer token");
        }
        Assert.Empty(await http.AllMessagesAsync(room));
    }

    private static HttpRequestMessage Authorized(HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static Dictionary<string, string[]> Directives(string policy) =>
        policy.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Select(d => d.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .ToDictionary(d => d[0], d => d[1..]);

    [GeneratedRegex("""<meta http-equiv="Content-Security-Policy" content="(?<policy>[^"]*)">""")]
    private static partial Regex MetaPolicy();

    [GeneratedRegex("""<meta http-equiv="Content-Security-Policy"[^>]*>""")]
    private static partial Regex MetaTag();
}
