using System.Net;
using System.Text;
using System.Text.Json;

namespace FunctionsChat.DevServer.Tests;

/// <summary>The public API through DevServer over real HTTP, on Azurite.</summary>
[Collection(TwoDevServersCollection.Name)]
public sealed class EndToEndTests(TwoDevServers servers)
{
    [Fact]
    public async Task JoinSendPollHistoryMembersLeave()
    {
        var room = Rooms.New("e2e");
        using var api = new ChatApi(servers.A.BaseAddress);
        var alice = await api.JoinAsync(room, "alice");
        var bob = await api.JoinAsync(room, "bob");

        var poll = api.PollAsync(room, bob.Token, timeoutSeconds: 25);
        var sent = await api.SendMessageAsync(room, alice.Token, "hello from alice");
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var id = sent.Body.GetProperty("id").GetString();

        var received = Messages(await poll);
        Assert.Equal(id, Assert.Single(received).GetProperty("id").GetString());
        Assert.Equal("hello from alice", received[0].GetProperty("text").GetString());

        var history = Messages(await api.HistoryAsync(room));
        Assert.Equal(id, Assert.Single(history).GetProperty("id").GetString());

        var members = (await api.MembersAsync(room)).Body.GetProperty("members").EnumerateArray()
            .Select(m => m.GetProperty("name").GetString()!).Order().ToArray();
        Assert.Equal<string[]>(["alice", "bob"], members);

        var left = await api.LeaveAsync(room, alice.UserId, alice.Token);
        Assert.Equal(HttpStatusCode.NoContent, left.StatusCode);
        var afterLeaving = await api.PollAsync(room, alice.Token, timeoutSeconds: 1);
        Assert.Equal(HttpStatusCode.Gone, afterLeaving.StatusCode);
    }

    [Fact]
    public async Task AMessageSentOnOneInstanceReachesALongPollOnTheOther()
    {
        var room = Rooms.New("e2e");
        using var onA = new ChatApi(servers.A.BaseAddress);
        using var onB = new ChatApi(servers.B.BaseAddress);
        var alice = await onA.JoinAsync(room, "alice");
        var bob = await onA.JoinAsync(room, "bob"); // joined on A, polling on B with the token A issued

        var poll = onB.PollAsync(room, bob.Token, timeoutSeconds: 25);
        var sent = await onA.SendMessageAsync(room, alice.Token, "across instances");
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);

        var received = Messages(await poll);
        Assert.Equal("across instances", Assert.Single(received).GetProperty("text").GetString());
    }

    [Fact]
    public async Task NoTokenIs401()
    {
        var room = Rooms.New("e2e");
        using var api = new ChatApi(servers.A.BaseAddress);

        var response = await api.SendMessageAsync(room, token: null, "who am I");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Fact]
    public async Task ABadRoomIs400()
    {
        using var api = new ChatApi(servers.A.BaseAddress);

        var response = await api.SendAsync(HttpMethod.Post, "api/rooms/Not_A_Room/members");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.ContentType);
    }

    [Fact]
    public async Task ABodyOver16KiBIs413()
    {
        var room = Rooms.New("e2e");
        using var api = new ChatApi(servers.A.BaseAddress);
        var alice = await api.JoinAsync(room, "alice");
        var body = $$"""{"text":"{{new string('x', 17 * 1024)}}"}""";

        var response = await api.SendAsync(HttpMethod.Post, $"api/rooms/{room}/messages", new StringContent(body, Encoding.UTF8, "application/json"), alice.Token);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task ThePageIsServedAtTheRootWithoutCaching()
    {
        using var api = new ChatApi(servers.A.BaseAddress);

        using var response = await api.Http.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache, "the page must be revalidated on every load in development");
    }

    /// <summary>The messages of a 200 answer (a poll's or the history's).</summary>
    private static IReadOnlyList<JsonElement> Messages(Answer answer)
    {
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        return answer.Messages;
    }
}
