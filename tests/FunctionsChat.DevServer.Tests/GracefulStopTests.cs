using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FunctionsChat.DevServer.Tests;

/// <summary>
/// A worker stopped in the host's order (POST /_dev/workers/stop): what it was sent still gets its real answer, what
/// arrives while it stops goes to another worker, and it is replaced. And DevServer's own Ctrl+C answers an open long
/// poll instead of aborting it. Each test runs its own DevServer on the shared Azurite.
/// </summary>
public sealed class GracefulStopTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AStoppingWorkerFinishesItsPollAndTheRequestsMeanwhileGoToTheOtherWorker()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["FUNCTIONS_WORKER_PROCESS_COUNT"] = "2";
        // Longer than the poll below: the poll ends by itself, with its message, before any cancel or terminate.
        environment["DevServer__WorkerDrainSeconds"] = "30";
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        using var api = new ChatApi(server.BaseAddress, TimeSpan.FromSeconds(60));
        await WaitForReadyWorkersAsync(api, 2);
        var room = Rooms.New("drain");
        var alice = await api.JoinAsync(room, "alice");
        var bob = await api.JoinAsync(room, "bob");

        // Bob's poll waits on one worker; that worker is asked to stop.
        var poll = api.PollAsync(room, bob.Token, timeoutSeconds: 10);
        var busy = await WaitForAsync(api, workers => workers.Where(w => w.InFlight > 0).ToList() is [{ State: "ready" } only] ? only : null);
        using (var stop = await api.Http.PostAsync($"_dev/workers/stop?pid={busy.Pid}", null))
        {
            Assert.Equal(HttpStatusCode.Accepted, stop.StatusCode);
        }
        var stopping = Assert.Single(await WorkersAsync(api), w => w.Pid == busy.Pid);
        Assert.Equal("stopping", stopping.State);

        // While it stops, every new request is answered by another worker, none by it and none with a 503.
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.HealthAsync()).StatusCode);
        }
        Assert.Equal(HttpStatusCode.Created, (await api.SendMessageAsync(room, alice.Token, "while your worker stops")).StatusCode);
        var after = Assert.Single(await WorkersAsync(api), w => w.Pid == busy.Pid);
        Assert.Equal(busy.Invocations, after.Invocations);

        // The poll in flight on the stopping worker gets its real answer: the message, or (should the app's delivery
        // to it be slow) its own empty answer at its full timeout; either way not cut short and not a failure.
        var answer = await poll.WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        if (answer.Messages.Count == 0)
        {
            Assert.True(answer.Took >= TimeSpan.FromSeconds(9.5), answer.ToString());
        }
        else
        {
            Assert.Equal("while your worker stops", Assert.Single(answer.Messages).GetProperty("text").GetString());
        }

        // Then it exits (nothing left in flight) and a new worker takes its place.
        var replaced = await WaitForAsync(api, workers => workers.Count(w => w.State == "ready") == 2 && workers.All(w => w.Pid != busy.Pid) ? workers : null);
        Assert.DoesNotContain(busy.Pid, server.WorkerProcessIds());
        Assert.Equal(2, replaced.Count);
        var output = server.Output;
        Assert.Contains($"Stopping worker process {busy.Pid}", output);
        Assert.Contains($"Worker process {busy.Pid} stopped", output);
        Assert.DoesNotContain("InvocationCancel sent", output);
        Assert.DoesNotContain("did not exit within", output);
        Assert.DoesNotContain("Executed 'Functions.PollUpdates' (Failed", output);
    }

    [Fact]
    public async Task AWorkerStoppedBySigtermFromOutsideGetsNoMoreRequestsAndItsPollIsAnswered()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["FUNCTIONS_WORKER_PROCESS_COUNT"] = "2";
        environment["DevServer__WorkerDrainSeconds"] = "3";
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        using var api = new ChatApi(server.BaseAddress, TimeSpan.FromSeconds(60));
        await WaitForReadyWorkersAsync(api, 2);
        // Both workers' servers answer once (a refusal means "stopping" only from a worker that has answered before).
        await WaitForAsync(api, workers => workers.All(w => w.Invocations > 0) ? workers : null, async () => await api.HealthAsync());
        var room = Rooms.New("sigterm");
        var bob = await api.JoinAsync(room, "bob");

        var poll = api.PollAsync(room, bob.Token, timeoutSeconds: 25);
        var busy = await WaitForAsync(api, workers => workers.Where(w => w.InFlight > 0).ToList() is [var only] ? only : null);
        Assert.Equal(0, kill(busy.Pid, DevServerProcess.SigTerm));
        await Task.Delay(500);

        // The worker's own server stops listening: the requests DevServer sends it are refused, and go to the other.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await api.HealthAsync()).StatusCode);
        }
        // Its poll is answered: by the app if it answers on ApplicationStopping, else (today) a 503 problem once the
        // worker is killed at the end of its grace, a failure the page sees and fills; never a dropped connection.
        var answer = await poll.WaitAsync(Patience);
        Assert.True(answer.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, answer.ToString());
        await WaitForAsync(api, workers => workers.Count(w => w.State == "ready") == 2 && workers.All(w => w.Pid != busy.Pid) ? workers : null);
        // DevServer learned of the stop either from a refused connection or, when the app answered its poll on
        // ApplicationStopping and exited before any request was refused, from the exit itself; either way it replaced it.
        Assert.True(server.Output.Contains("refused a connection: it is stopping", StringComparison.Ordinal) ||
            server.Output.Contains($"Worker process {busy.Pid} exited", StringComparison.Ordinal) ||
            server.Output.Contains($"Worker process {busy.Pid} stopped", StringComparison.Ordinal), server.Output);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    [Fact]
    public async Task CtrlCAnswersAnOpenLongPollInsteadOfAbortingIt()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["DevServer__WorkerDrainSeconds"] = "2";
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        using var api = new ChatApi(server.BaseAddress, TimeSpan.FromSeconds(60));
        var room = Rooms.New("ctrlc");
        var bob = await api.JoinAsync(room, "bob");

        var poll = api.PollAsync(room, bob.Token, timeoutSeconds: 30);
        await WaitForAsync(api, workers => workers.Where(w => w.InFlight > 0).ToList() is [var only] ? only : null);
        var signalled = System.Diagnostics.Stopwatch.StartNew();
        server.Signal(DevServerProcess.SigInt);

        // Answered by the app (today's app answers a cancelled poll 200 with no messages) within the 2 s drain and the
        // 5 s terminate grace, not at its own 30 s timeout, and not cut.
        var answer = await poll.WaitAsync(Patience);
        var answeredAfter = signalled.Elapsed;
        Assert.True(answer.StatusCode == HttpStatusCode.OK && answeredAfter < TimeSpan.FromSeconds(15) && answer.Took < TimeSpan.FromSeconds(29),
            $"{answer} ({answeredAfter.TotalSeconds:0.0} s after SIGINT)\nDevServer's output:\n{server.Output}");
        Assert.True(await server.WaitForExitAsync(Patience) == 0, $"DevServer exited with {server.Process.ExitCode}:\n{server.Output}");
        Assert.DoesNotContain("did not exit within", server.Output);
    }

    private sealed record Worker(int Pid, int Slot, string State, int InFlight, long Invocations);

    private static async Task<IReadOnlyList<Worker>> WorkersAsync(ChatApi api) =>
        (await api.Http.GetFromJsonAsync<List<Worker>>("_dev/workers", new JsonSerializerOptions(JsonSerializerDefaults.Web)))!;

    private static Task WaitForReadyWorkersAsync(ChatApi api, int count) =>
        WaitForAsync(api, workers => workers.Count(w => w.State == "ready") == count ? workers : null);

    /// <summary>Waits until <paramref name="found"/> finds something in /_dev/workers (a timer's invocation counts in
    /// flight too, so the tests wait for one worker alone to be busy).</summary>
    private static async Task<T> WaitForAsync<T>(ChatApi api, Func<IReadOnlyList<Worker>, T?> found, Func<Task>? meanwhile = null) where T : class
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var workers = await WorkersAsync(api);
            if (found(workers) is { } result)
            {
                return result;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"/_dev/workers never showed what the test waits for: {JsonSerializer.Serialize(workers)}");
            }
            if (meanwhile is not null)
            {
                await meanwhile();
            }
            await Task.Delay(100);
        }
    }
}
