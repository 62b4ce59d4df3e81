using System.Net;
using System.Net.Http.Json;
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
        var room = ChatClient.NewRoom();
        using var alice = new ChatClient(servers.A.BaseAddress);
        using var bob = new ChatClient(servers.A.BaseAddress);
        await alice.JoinAsync(room, "alice");
        await bob.JoinAsync(room, "bob");

        var poll = bob.PollAsync(room, timeoutSeconds: 25);
        using var sent = await alice.SendAsync(room, "hello from alice");
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        var message = await sent.Content.ReadFromJsonAsync<JsonElement>();
        var id = message.GetProperty("id").GetString();

        var received = await ChatClient.MessagesAsync(await poll);
        Assert.Equal(id, Assert.Single(received).GetProperty("id").GetString());
        Assert.Equal("hello from alice", received[0].GetProperty("text").GetString());

        var history = await ChatClient.MessagesAsync(await alice.GetAsync($"api/rooms/{room}/messages"));
        Assert.Equal(id, Assert.Single(history).GetProperty("id").GetString());

        using var membersResponse = await alice.GetAsync($"api/rooms/{room}/members");
        var members = (await membersResponse.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("members").EnumerateArray()
            .Select(m => m.GetProperty("name").GetString()!).Order().ToArray();
        Assert.Equal<string[]>(["alice", "bob"], members);

        using var left = await alice.LeaveAsync(room);
        Assert.Equal(HttpStatusCode.NoContent, left.StatusCode);
        using var afterLeaving = await alice.PollAsync(room, timeoutSeconds: 1);
        Assert.Equal(HttpStatusCode.Gone, afterLeaving.StatusCode);
    }

    [Fact]
    public async Task AMessageSentOnOneInstanceReachesALongPollOnTheOther()
    {
        var room = ChatClient.NewRoom();
        using var aliceOnA = new ChatClient(servers.A.BaseAddress);
        using var bobOnA = new ChatClient(servers.A.BaseAddress);
        await aliceOnA.JoinAsync(room, "alice");
        await bobOnA.JoinAsync(room, "bob");
        using var bobOnB = new ChatClient(servers.B.BaseAddress).As(bobOnA);

        var poll = bobOnB.PollAsync(room, timeoutSeconds: 25);
        using var sent = await aliceOnA.SendAsync(room, "across instances");
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);

        var received = await ChatClient.MessagesAsync(await poll);
        Assert.Equal("across instances", Assert.Single(received).GetProperty("text").GetString());
    }

    [Fact]
    public async Task NoTokenIs401()
    {
        var room = ChatClient.NewRoom();
        using var anonymous = new ChatClient(servers.A.BaseAddress);

        using var response = await anonymous.SendAsync(room, "who am I");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ABadRoomIs400()
    {
        using var client = new ChatClient(servers.A.BaseAddress);

        using var response = await client.SendRawAsync(new HttpRequestMessage(HttpMethod.Post, "api/rooms/Not_A_Room/members"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ABodyOver16KiBIs413()
    {
        var room = ChatClient.NewRoom();
        using var alice = new ChatClient(servers.A.BaseAddress);
        await alice.JoinAsync(room, "alice");
        var body = $$"""{"text":"{{new string('x', 17 * 1024)}}"}""";

        using var response = await alice.SendAsync(room, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task ThePageIsServedAtTheRootWithoutCaching()
    {
        using var client = new ChatClient(servers.A.BaseAddress);

        using var response = await client.GetAsync("/");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoCache, "the page must be revalidated on every load in development");
    }
}
