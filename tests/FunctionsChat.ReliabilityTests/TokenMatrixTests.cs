using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// Attack 6: every member route (send, long poll, leave) over real HTTP with tokens that must not work: missing,
/// malformed, forged, tampered, of another room, of a member that left, of a member that expired, and another
/// member's identity. The unit tests (AccessTests) cover the logic; this proves the same through the real host.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class TokenMatrixTests(ITestOutputHelper output)
{
    private const int MemberTimeoutSeconds = 10;

    private sealed record Case(string Name, int Expected, Func<string, string?> Authorization);

    [Fact]
    public async Task EveryMemberRouteRefusesEveryBadTokenWith401Or403Or410AndNothingHappens()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["Chat__MemberTimeoutSeconds"] = $"{MemberTimeoutSeconds}";
        environment["Chat__LastSeenWriteIntervalSeconds"] = "1";
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        using var http = new ChatApi(server.BaseAddress, TimeSpan.FromSeconds(30));
        var room = Rooms.New("tokens");
        var otherRoom = Rooms.New("tokens-other");

        // Eve joins first and then says nothing: by the end of the matrix she has expired.
        var eve = await http.JoinAsync(room, "Eve");
        var eveJoined = DateTime.UtcNow;
        var alice = await http.JoinAsync(room, "Alice");
        var bob = await http.JoinAsync(room, "Bob");
        var mallory = await http.JoinAsync(otherRoom, "Mallory");
        var leaver = await http.JoinAsync(room, "Leaver");
        Assert.Equal(204, (await http.LeaveAsync(room, leaver.UserId, leaver.Token)).Status);
        Assert.Equal(201, (await http.SendMessageAsync(room, alice.Token, "the one real message")).Status);

        Case[] cases =
        [
            new("no Authorization header", 401, _ => null),
            new("Bearer with nothing after it", 401, _ => "Bearer "),
            new("another scheme", 401, _ => "Basic " + Convert.ToBase64String("alice:secret"u8)),
            new("the token without its scheme", 401, _ => alice.Token),
            new("garbage", 401, _ => "Bearer not-a-token"),
            new("three parts", 401, _ => $"Bearer {alice.Token}.extra"),
            new("truncated", 401, _ => $"Bearer {alice.Token[..^5]}"),
            new("too long", 401, _ => $"Bearer {alice.Token}{new string('A', 2000)}"),
            new("forged for Alice (another key)", 401, _ => $"Bearer {Tokens.Forged(room, alice.UserId, alice.Name)}"),
            new("tampered signature", 401, _ => $"Bearer {Tokens.WithFlippedSignature(alice.Token)}"),
            new("Alice's signature on Bob's claims", 401, _ => $"Bearer {Tokens.WithClaims(alice.Token, room, bob.UserId, bob.Name)}"),
            new("Mallory's signature moved to this room", 401, _ => $"Bearer {Tokens.WithClaims(mallory.Token, room, mallory.UserId, mallory.Name)}"),
            new("valid token of another room", 403, _ => $"Bearer {mallory.Token}"),
            new("member that left", 410, _ => $"Bearer {leaver.Token}"),
        ];

        // Leave needs a user id in the path: the token's own member where there is one, else Alice.
        var results = new List<string>();
        foreach (var @case in cases)
        {
            var target = @case.Name.Contains("left") ? leaver.UserId : alice.UserId;
            var answers = await TryEveryRouteAsync(http, room, target, @case.Authorization(room));
            results.Add($"{@case.Name}: {string.Join(", ", answers.Select(a => $"{a.Route.Split(' ')[0]} {a.Status}"))}");
            foreach (var (route, status) in answers)
            {
                Assert.True(status == @case.Expected, $"{@case.Name} on {route}: HTTP {status}, expected {@case.Expected}");
            }
        }

        // Another member's identity: Alice may not remove Bob; Bob reading his inbox does not consume Alice's.
        Assert.Equal(403, (await http.LeaveAsync(room, bob.UserId, alice.Token)).Status);
        results.Add("Alice's token removing Bob: DELETE 403");
        var bobGets = await http.PollAsync(room, bob.Token, 1);
        var aliceGets = await http.PollAsync(room, alice.Token, 1);
        Assert.Equal(["the one real message"], bobGets.Messages.Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(["the one real message"], aliceGets.Messages.Select(m => m.GetProperty("text").GetString()));

        // Nothing any refused request did is visible: one message stored, Alice and Bob still members and working.
        var stored = await http.AllMessagesAsync(room);
        Assert.Equal(["the one real message"], stored.Select(m => m.GetProperty("text").GetString()));
        Assert.Equal(201, (await http.SendMessageAsync(room, bob.Token, "still here")).Status);
        Assert.Equal(200, (await http.PollAsync(room, alice.Token, 1)).Status);

        // Eve expired: she has been silent for longer than the timeout by now (waited for, not slept).
        await Eventually.UntilAsync(() => DateTime.UtcNow - eveJoined > TimeSpan.FromSeconds(MemberTimeoutSeconds + 2),
            TimeSpan.FromSeconds(MemberTimeoutSeconds + 30), "Eve's silence outlasts the member timeout");
        var expired = await TryEveryRouteAsync(http, room, eve.UserId, $"Bearer {eve.Token}");
        results.Add($"expired member: {string.Join(", ", expired.Select(a => $"{a.Route.Split(' ')[0]} {a.Status}"))}");
        foreach (var (route, status) in expired)
        {
            Assert.True(status == 410, $"expired member on {route}: HTTP {status}, expected 410");
        }

        Assert.Equal(["the one real message", "still here"], (await http.AllMessagesAsync(room)).Select(m => m.GetProperty("text").GetString()));
        output.WriteLine($"Send (POST), long poll (GET) and leave (DELETE) with each bad token:\n" + string.Join("\n", results));
    }

    /// <summary>Send, long poll and leave with the given Authorization header value (null: none).</summary>
    private static async Task<List<(string Route, int Status)>> TryEveryRouteAsync(ChatApi http, string room, string userId, string? authorization)
    {
        HttpRequestMessage[] requests =
        [
            new(HttpMethod.Post, $"api/rooms/{room}/messages") { Content = JsonContent.Create(new { text = "should never be stored" }) },
            new(HttpMethod.Get, $"api/rooms/{room}/updates?timeout=1"),
            new(HttpMethod.Delete, $"api/rooms/{room}/members/{userId}"),
        ];
        var results = new List<(string, int)>();
        foreach (var request in requests)
        {
            using (request)
            {
                var route = $"{request.Method} {Traffic.Route("/" + request.RequestUri!.OriginalString.Split('?')[0])}";
                if (authorization is not null)
                {
                    request.Headers.TryAddWithoutValidation("Authorization", authorization);
                }
                var answer = await http.SendAsync(request);
                if (answer.Status is 401 or 403 or 410)
                {
                    Assert.True(answer.ContentType == "application/problem+json", $"{route}: {answer.Status} without a problem body");
                }
                results.Add((route, answer.Status));
            }
        }
        return results;
    }
}
