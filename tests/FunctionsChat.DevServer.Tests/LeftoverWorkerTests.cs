namespace FunctionsChat.DevServer.Tests;

/// <summary>
/// A killed DevServer leaves its workers running; the next DevServer finds them by its pid file, stops them and says
/// so in one line (issue 19, item 8). Each test has a pid folder of its own, so DevServers other tests run are not
/// in it.
/// </summary>
public sealed class LeftoverWorkerTests
{
    [Fact]
    public async Task TheNextDevServerStopsTheWorkersOfAKilledOneAndSaysSoInOneLine()
    {
        var folder = Directory.CreateTempSubdirectory("devserver-pids-").FullName;
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["DevServer__WorkerPidFolder"] = folder;
        int? leftover = null;
        try
        {
            await using var killed = await DevServerProcess.StartHealthyAsync(environment);
            leftover = Assert.Single(killed.WorkerProcessIds());
            var pidFile = Path.Combine(folder, $"devserver-{killed.Process.Id}.pids");
            Assert.Contains($"worker {leftover} ", File.ReadAllText(pidFile));

            killed.Process.Kill(entireProcessTree: false); // SIGKILL to DevServer alone, as a crash would
            await killed.WaitForExitAsync(TimeSpan.FromSeconds(30));
            Assert.True(IsRunning(leftover.Value), "the test needs the worker to outlive its killed DevServer");

            await using var next = await DevServerProcess.StartHealthyAsync(environment);

            var said = next.Output.Split('\n').Where(line => line.Contains("left over", StringComparison.Ordinal)).ToList();
            Assert.Equal([$"Stopped 1 worker process (pid {leftover}) left over from a DevServer that was killed (pid {killed.Process.Id})."],
                said.Select(line => line.TrimEnd('\r')));
            Assert.False(IsRunning(leftover.Value), $"worker process {leftover} is still running");
            Assert.False(File.Exists(pidFile));
            // The new DevServer writes down its own worker, and only that one.
            var own = Assert.Single(next.WorkerProcessIds());
            Assert.Equal([$"worker {own}"], File.ReadAllLines(Path.Combine(folder, $"devserver-{next.Process.Id}.pids"))
                .Where(line => line.StartsWith("worker ", StringComparison.Ordinal)).Select(line => string.Join(' ', line.Split(' ')[..2])));
        }
        finally
        {
            if (leftover is { } pid && IsRunning(pid))
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true);
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task AStoppedDevServerLeavesNoPidFileAndTheWorkersOfARunningOneAreLeftAlone()
    {
        var folder = Directory.CreateTempSubdirectory("devserver-pids-").FullName;
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["DevServer__WorkerPidFolder"] = folder;
        try
        {
            await using var running = await DevServerProcess.StartHealthyAsync(environment);
            var worker = Assert.Single(running.WorkerProcessIds());

            await using (var second = await DevServerProcess.StartHealthyAsync(environment))
            {
                Assert.DoesNotContain("left over", second.Output, StringComparison.Ordinal);
                second.Signal(DevServerProcess.SigTerm);
                Assert.Equal(0, await second.WaitForExitAsync(TimeSpan.FromSeconds(30)));
                Assert.False(File.Exists(Path.Combine(folder, $"devserver-{second.Process.Id}.pids")));
            }

            Assert.True(IsRunning(worker), "a running DevServer's worker must be left alone");
            using var api = new ChatApi(running.BaseAddress);
            Assert.Equal(200, (await api.HealthAsync()).Status);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Running, and not a zombie waiting to be reaped (state Z in /proc/{pid}/stat).</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[stat.LastIndexOf(')') + 2] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
