using System.Net.Http.Json;
using System.Text;
using Xunit.Abstractions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// Logs never hold a token or the signing key: DevServer with every log category at Trace, a whole conversation plus
/// refused attempts, and then its captured stdout and stderr are searched for every secret that went by.
/// The same DevServer, started with nothing configured, also shows that no origin gets CORS by default.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class LogSecrecyTests(ITestOutputHelper output)
{
    [Fact]
    public async Task NoTokenAndNotTheSigningKeyEverReachTheLogsEvenAtTrace()
    {
        // No Chat__SigningKey: DevServer uses (or creates) the development key in .devdata/signing-key and says so.
        var environment = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["Logging__LogLevel__Default"] = "Trace",
            ["Logging__LogLevel__Microsoft"] = "Trace",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Trace",
            ["Logging__LogLevel__System"] = "Trace",
        };
        var server = await DevServerProcess.StartHealthyAsync(environment);
        var secrets = new List<string>();
        string log;
        try
        {
            var signingKey = (await File.ReadAllTextAsync(Path.Combine(Paths.RepoRoot, ".devdata", "signing-key"))).Trim();
            secrets.Add(signingKey);
            using var http = new ChatApi(server.BaseAddress, TimeSpan.FromSeconds(30));
            var room = Rooms.New("logs");
            var alice = await http.JoinAsync(room, "Alice");
            var bob = await http.JoinAsync(room, "Bob");
            var mallory = await http.JoinAsync(Rooms.New("logs"), "Mallory");
            secrets.AddRange([alice.Token, bob.Token, mallory.Token]);

            // A conversation.
            Assert.Equal(201, (await http.SendMessageAsync(room, alice.Token, "hello", "c-1")).Status);
            Assert.Equal(200, (await http.SendMessageAsync(room, alice.Token, "hello", "c-1")).Status);
            Assert.Equal(200, (await http.PollAsync(room, bob.Token, 1)).Status);
            Assert.Equal(200, (await http.HistoryAsync(room)).Status);
            Assert.Equal(200, (await http.MembersAsync(room)).Status);
            Assert.Equal(204, (await http.LeaveAsync(room, bob.UserId, bob.Token)).Status);

            // Refused: forged, tampered, another room's, a left member's, another member's, and a body that breaks.
            var forged = Tokens.Forged(room, alice.UserId, alice.Name);
            var tampered = Tokens.WithFlippedSignature(alice.Token);
            var swapped = Tokens.WithClaims(alice.Token, room, bob.UserId, bob.Name);
            secrets.AddRange([forged, tampered, swapped]);
            Assert.Equal(401, (await http.SendMessageAsync(room, forged, "forged")).Status);
            Assert.Equal(401, (await http.PollAsync(room, tampered, 1)).Status);
            Assert.Equal(401, (await http.LeaveAsync(room, bob.UserId, swapped)).Status);
            Assert.Equal(403, (await http.SendMessageAsync(room, mallory.Token, "wrong room")).Status);
            Assert.Equal(410, (await http.PollAsync(room, bob.Token, 1)).Status);
            Assert.Equal(403, (await http.LeaveAsync(room, mallory.UserId, alice.Token)).Status);
            using (var large = new HttpRequestMessage(HttpMethod.Post, $"api/rooms/{room}/messages") { Content = new StringContent(new string('x', 20_000)) })
            {
                large.Headers.Authorization = new("Bearer", alice.Token);
                Assert.Equal(413, (await http.SendAsync(large)).Status);
            }
            // A chunked body that breaks mid-way: the server logs the exception (with the request in scope).
            var broken = await RawHttp.SendAsync(server.BaseAddress,
                $"POST /api/rooms/{room}/messages HTTP/1.1\nHost: localhost\nAuthorization: Bearer {alice.Token}\nTransfer-Encoding: chunked",
                Encoding.ASCII.GetBytes("zz\r\nnot a chunk\r\n0\r\n\r\n"));
            Assert.InRange(broken.Status, 400, 499);

            // Nothing configured: no cross-origin caller is allowed.
            using (var crossOrigin = new HttpRequestMessage(HttpMethod.Get, $"api/rooms/{room}/messages"))
            {
                crossOrigin.Headers.Add("Origin", "http://localhost:5500");
                using var answer = await http.Http.SendAsync(crossOrigin);
                Assert.False(answer.Headers.Contains("Access-Control-Allow-Origin"));
            }
            Assert.Equal(204, (await http.LeaveAsync(room, alice.UserId, alice.Token)).Status);
        }
        finally
        {
            await server.DisposeAsync(); // a clean stop flushes the console logger
            log = server.Output;
        }

        Assert.Contains("CORS: same origin only (nothing configured)", log);
        var requestLines = log.Split('\n').Count(line => line.Contains("Request starting", StringComparison.Ordinal));
        output.WriteLine($"{log.Length:N0} characters of log ({log.Split('\n').Length:N0} lines, {requestLines} requests logged); searched for {secrets.Count} secrets and their signatures.");
        Assert.True(requestLines >= 18, $"Trace logging was not on: {requestLines} request lines.");
        foreach (var secret in secrets)
        {
            Assert.False(log.Contains(secret, StringComparison.Ordinal), $"The log holds a secret: {Describe(secret)}");
            if (secret.Contains('.'))
            {
                var signature = secret[(secret.IndexOf('.') + 1)..];
                Assert.False(log.Contains(signature, StringComparison.Ordinal), $"The log holds a token's signature: {Describe(secret)}");
            }
        }
        Assert.DoesNotContain("Bearer ", log, StringComparison.Ordinal);
    }

    private static string Describe(string secret) => $"{secret[..Math.Min(6, secret.Length)]}… ({secret.Length} characters)";
}
