namespace FunctionsChat.DevServer.Workers;

/// <summary>
/// <c>FUNCTIONS_WORKER_PROCESS_COUNT</c> worker processes (1 to 10, as in Azure), each restarted when it dies, as the
/// host restarts language workers. Invocations go to a random ready worker: no affinity, so each worker is like one
/// more instance on the same storage account.
/// </summary>
public sealed class WorkerPool : IAsyncDisposable
{
    public const string CountSetting = "FUNCTIONS_WORKER_PROCESS_COUNT";
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    private readonly FunctionApp _app;
    private readonly RpcServer _rpc;
    private readonly IReadOnlyDictionary<string, string> _appSettings;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly RunningWorker?[] _running;
    private readonly Task[] _supervisors;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource<FunctionIndex> _firstReady = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _readyChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _disposing;
    private volatile bool _stopRestarting;

    public WorkerPool(FunctionApp app, RpcServer rpc, IReadOnlyDictionary<string, string> appSettings, int count, ILoggerFactory loggers)
    {
        _app = app;
        _rpc = rpc;
        _appSettings = appSettings;
        _loggers = loggers;
        _logger = loggers.CreateLogger("DevServer.Workers");
        _running = new RunningWorker?[count];
        _supervisors = new Task[count];
    }

    /// <summary>Read as the host reads it: a whole number from 1 to 10, default 1.</summary>
    public static int ReadCount(IConfiguration configuration)
    {
        var text = configuration[CountSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return 1;
        }
        return int.TryParse(text, out var count) && count is >= 1 and <= 10
            ? count
            : throw new DevServerException($"{CountSetting} is '{text}'; it must be a whole number from 1 to 10.");
    }

    /// <summary>When false, a departed caller only aborts the forwarded request (tests use it to show that path alone).</summary>
    public bool SendInvocationCancel { get; init; } = true;

    public int Count => _running.Length;

    /// <summary>Where the running workers' pids are written down, for a DevServer started after this one is killed.</summary>
    public WorkerPidFile? PidFile { get; set; }

    /// <summary>The worker processes running now.</summary>
    public IReadOnlyList<WorkerProcess> Processes => [.. _running.OfType<RunningWorker>().Select(r => r.Process)];

    /// <summary>Starts every worker; returns the functions the first ready one reported, or throws why none started.</summary>
    public async Task<FunctionIndex> StartAsync()
    {
        for (var slot = 0; slot < _running.Length; slot++)
        {
            var index = slot;
            _supervisors[slot] = Task.Run(() => SuperviseAsync(index));
        }
        return await _firstReady.Task;
    }

    /// <summary>
    /// From now on a worker that exits is not replaced. Called when DevServer starts stopping: Ctrl+C in a terminal
    /// reaches the workers too (one process group), and one that exits first must not be started again.
    /// </summary>
    public void StopRestarting() => _stopRestarting = true;

    /// <summary>A random ready worker; waits a while for one when all are starting again.</summary>
    public async Task<WorkerChannel> PickAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReadyWait);
        while (true)
        {
            var changed = _readyChanged.Task;
            var ready = _running.OfType<RunningWorker>().Where(r => !r.Channel.Closed.IsCompleted).Select(r => r.Channel).ToArray();
            if (ready.Length > 0)
            {
                return ready[Random.Shared.Next(ready.Length)];
            }
            if (_disposing)
            {
                throw new WorkerUnavailableException("DevServer is stopping");
            }
            try
            {
                await changed.WaitAsync(deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new WorkerUnavailableException($"no worker process has been ready for {ReadyWait.TotalSeconds} s");
            }
        }
    }

    private async Task SuperviseAsync(int slot)
    {
        var failures = 0;
        while (!_disposing)
        {
            var channel = new WorkerChannel(Guid.NewGuid().ToString(), _loggers) { SendsCancel = SendInvocationCancel };
            _rpc.Expect(channel);
            var process = WorkerProcess.Start(_app, _rpc.Uri, channel.WorkerId, _appSettings, _loggers.CreateLogger("DevServer.Worker.Console"));
            PidFile?.Add(process.Id);
            var wasReady = false;
            try
            {
                await channel.InitializeAsync(_app, process.Exited, _stopping.Token);
                SetRunning(slot, new RunningWorker(channel, process));
                wasReady = true;
                _logger.LogDebug("Worker process {Pid} is ready (slot {Slot}, HttpUri {Uri}).", process.Id, slot, channel.HttpUri);
                _firstReady.TrySetResult(channel.Index);
                failures = 0;
                await Task.WhenAny(process.Exited, channel.Closed);
            }
            catch (Exception e) when (e is WorkerUnavailableException or OperationCanceledException)
            {
                if (!_disposing)
                {
                    _logger.LogError("Worker process {Pid} did not start: {Reason}.", process.Id, e.Message);
                }
            }
            finally
            {
                SetRunning(slot, null);
                _rpc.Forget(channel.WorkerId);
            }
            if (_disposing || _stopRestarting)
            {
                // A ready worker was sent WorkerTerminate and may still be finishing; one still starting is not needed.
                if (!wasReady)
                {
                    process.Kill();
                }
                await process.StopAsync(StopGrace);
                await process.DisposeAsync();
                PidFile?.Remove(process.Id);
                break;
            }
            channel.Close("the worker process stopped");
            process.Kill();
            await process.Exited;
            await process.DisposeAsync();
            PidFile?.Remove(process.Id);
            if (!_firstReady.Task.IsCompleted)
            {
                // A worker that cannot start at all (bad settings, say) fails the same way every time: stop trying.
                _firstReady.TrySetException(new DevServerException(
                    $"{process.CrashReason ?? "the function app's worker process failed"} (its worker process exited with code {process.ExitCode} before it was ready; its output is above)"));
                return;
            }
            _logger.LogError("Worker process {Pid} exited with code {Code}; starting a new one.", process.Id, process.ExitCode);
            failures++;
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, Math.Pow(2, failures - 1))), CancellationToken.None);
        }
    }

    private void SetRunning(int slot, RunningWorker? worker)
    {
        _running[slot] = worker;
        Interlocked.Exchange(ref _readyChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary><c>WorkerTerminate</c> to every worker, a few seconds to exit, then a kill.</summary>
    public async ValueTask DisposeAsync()
    {
        // Twice on a normal stop: by the host's services when it stops, then by Program's `await using`.
        if (_disposing)
        {
            return;
        }
        _disposing = true;
        var running = _running.OfType<RunningWorker>().ToList();
        foreach (var (channel, _) in running)
        {
            channel.Terminate(StopGrace);
        }
        await Task.WhenAll(running.Select(r => r.Process.StopAsync(StopGrace)));
        _stopping.Cancel();
        await Task.WhenAll(_supervisors.Where(s => s is not null));
        _readyChanged.TrySetResult();
    }

    /// <summary>A class, so a slot changes in one reference write that readers on other threads see whole.</summary>
    private sealed record RunningWorker(WorkerChannel Channel, WorkerProcess Process);
}
