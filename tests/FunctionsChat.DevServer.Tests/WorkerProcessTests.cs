using System.Net;

namespace FunctionsChat.DevServer.Tests;

/// <summary>The function app runs in a worker process of its own, driven over gRPC, and DevServer answers for it.</summary>
[Collection(TwoDevServersCollection.Name)]
public sealed class WorkerProcessTests(TwoDevServers servers)
{
    [Fact]
    public void TheFunctionAppRunsAsItsOwnDotnetProcessStartedLikeTheHostStartsIt()
    {
        var worker = Assert.Single(servers.A.WorkerProcessIds());

        var commandLine = File.ReadAllText($"/proc/{worker}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith("dotnet", commandLine[0]);
        Assert.EndsWith("FunctionsChat.Functions.dll", commandLine[1]);
        Assert.Contains("--functions-uri", commandLine);
        Assert.Contains("--functions-worker-id", commandLine);
        Assert.Contains("--workerId", commandLine);
        var environment = File.ReadAllText($"/proc/{worker}/environ").Split('\0');
        Assert.Contains(environment, e => e.StartsWith("FUNCTIONS_APPLICATION_DIRECTORY=", StringComparison.Ordinal));
        Assert.Contains(environment, e => e.StartsWith("FUNCTIONS_WORKER_RUNTIME=dotnet-isolated", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NoInvocationSendsItsHttpResultBackOverGrpcAsWell()
    {
        var room = Rooms.New("e2e");
        using var api = new ChatApi(servers.A.BaseAddress);
        var alice = await api.JoinAsync(room, "alice");
        var poll = api.PollAsync(room, alice.Token, timeoutSeconds: 10);
        Assert.Equal(HttpStatusCode.Created, (await api.SendMessageAsync(room, alice.Token, "once")).StatusCode);
        Assert.Single((await poll).Messages);
        Assert.Equal(HttpStatusCode.OK, (await api.HistoryAsync(room)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.MembersAsync(room)).StatusCode);

        // DevServer logs a warning for every InvocationResponse that carries a return value: the join token in it.
        Assert.DoesNotContain("sent a return value over gRPC", servers.A.Output);
    }

    [Fact]
    public async Task AKilledWorkerFailsItsInFlightRequestWithAProblemAndIsReplaced()
    {
        await using var server = await DevServerProcess.StartHealthyAsync(ChatEnvironment.OnSharedAzurite());
        var room = Rooms.New("e2e");
        using var api = new ChatApi(server.BaseAddress);
        var alice = await api.JoinAsync(room, "alice");
        var first = Assert.Single(server.WorkerProcessIds());

        var inFlight = api.PollAsync(room, alice.Token, timeoutSeconds: 20);
        await Task.Delay(1000);
        Assert.Equal(0, Kill(first));

        var failed = await inFlight;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.Equal("application/problem+json", failed.ContentType);
        Assert.NotNull(failed.RetryAfter);
        // The next request waits for the new worker and succeeds: the member and its inbox are in storage, not in
        // the process that died.
        var sent = await api.SendMessageAsync(room, alice.Token, "after the crash");
        Assert.Equal(HttpStatusCode.Created, sent.StatusCode);
        Assert.Single((await api.PollAsync(room, alice.Token, timeoutSeconds: 5)).Messages);
        Assert.NotEqual(first, Assert.Single(server.WorkerProcessIds()));
        Assert.Contains($"Worker process {first} exited", server.Output);
    }

    [Fact]
    public async Task WithThreeWorkersAMemberWhosePollsLandOnAnyWorkerGetsEveryMessageOnce()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["FUNCTIONS_WORKER_PROCESS_COUNT"] = "3";
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        var workers = server.WorkerProcessIds();
        Assert.Equal(3, workers.Count);
        // Each worker is an instance of its own to telemetry, or their cumulative counters overwrite each other.
        var instanceIds = workers.Select(pid => File.ReadAllText($"/proc/{pid}/environ").Split('\0')
            .Single(e => e.StartsWith("OTEL_RESOURCE_ATTRIBUTES=", StringComparison.Ordinal))).ToList();
        Assert.All(instanceIds, attributes => Assert.Contains("service.instance.id=", attributes));
        Assert.Equal(3, instanceIds.Distinct().Count());
        var room = Rooms.New("spread");
        using var api = new ChatApi(server.BaseAddress);
        var alice = await api.JoinAsync(room, "alice");
        var bob = await api.JoinAsync(room, "bob");

        var received = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            // Each poll and each send goes to a random worker: the hand-over inside one process helps only by chance,
            // so the queue and the room watcher must carry the rest.
            var poll = api.PollAsync(room, bob.Token, timeoutSeconds: 25);
            await Task.Delay(300);
            Assert.Equal(HttpStatusCode.Created, (await api.SendMessageAsync(room, alice.Token, $"spread #{i}")).StatusCode);
            var answer = await poll;
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            received.AddRange(answer.Messages.Select(m => m.GetProperty("text").GetString()!));
        }
        // Anything a poll did not carry is still in the inbox.
        var rest = await api.PollAsync(room, bob.Token, timeoutSeconds: 3);
        received.AddRange(rest.Messages.Select(m => m.GetProperty("text").GetString()!));

        Assert.Equal(Enumerable.Range(0, 6).Select(i => $"spread #{i}"), received.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task TheTimerFunctionRunsInTheWorkerOnItsSchedule()
    {
        // ExpireMembers runs every minute, at second 0.
        var deadline = DateTime.UtcNow.AddSeconds(75);
        while (!servers.A.Output.Contains("Executed 'Functions.ExpireMembers' (Succeeded") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(500);
        }
        Assert.Contains("Executed 'Functions.ExpireMembers' (Succeeded", servers.A.Output);
    }

    private static int Kill(int pid) => Posix.Kill(pid, DevServerProcess.SigKill);
}

internal static class Posix
{
    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);
}
