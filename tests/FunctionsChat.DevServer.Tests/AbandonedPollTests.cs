using System.Net;

namespace FunctionsChat.DevServer.Tests;

/// <summary>
/// A long poll whose caller left must end at once, quietly, so that what a later send hands to it goes to the
/// member's inbox instead of to a dead connection. Through the real worker, the function's token fires only on
/// InvocationCancel; a departed caller also aborts the forwarded request. Each path alone must be enough.
/// </summary>
[Collection(TwoDevServersCollection.Name)]
public sealed class AbandonedPollTests(TwoDevServers servers)
{
    [Fact]
    public async Task WithInvocationCancelAnAbandonedPollLosesNothingAndIsNoFailure() =>
        await AbandonPollThenSendAsync(servers.A);

    [Fact]
    public async Task WithTheForwardedRequestAbortedAloneAnAbandonedPollLosesNothingAndIsNoFailure()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["DevServer__SendInvocationCancel"] = "false";
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        await AbandonPollThenSendAsync(server);
    }

    private static async Task AbandonPollThenSendAsync(DevServerProcess server)
    {
        var room = Rooms.New("abandon");
        using var api = new ChatApi(server.BaseAddress);
        var alice = await api.JoinAsync(room, "alice");
        var bob = await api.JoinAsync(room, "bob");

        // Bob's tab closes while his poll waits.
        using (var leaving = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"api/rooms/{room}/updates?timeout=25");
            request.Headers.Authorization = new("Bearer", bob.Token);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => api.Http.SendAsync(request, leaving.Token));
        }
        await Task.Delay(1000);
        Assert.Equal(HttpStatusCode.Created, (await api.SendMessageAsync(room, alice.Token, "while you were away")).StatusCode);

        // Bob comes back: the message waits in his inbox.
        var back = await api.PollAsync(room, bob.Token, timeoutSeconds: 5);
        Assert.Equal("while you were away", Assert.Single(back.Messages).GetProperty("text").GetString());
        var output = server.Output;
        Assert.DoesNotContain("Executed 'Functions.PollUpdates' (Failed", output);
        Assert.DoesNotContain("Executed 'Functions.PollUpdates' (Cancelled", output);
        Assert.DoesNotContain("TaskCanceledException", output);
    }
}
