namespace FunctionsChat.DevServer.Workers;

/// <summary>
/// <c>FUNCTIONS_WORKER_PROCESS_COUNT</c> worker processes (1 to 10, as in Azure), each restarted when it dies, as the
/// host restarts language workers. Invocations go to a random ready worker: no affinity, so each worker is like one
/// more instance on the same storage account.
/// <para>
/// A worker is stopped in the host's order (docs/reliability.md, "How an instance stops"): it gets no new invocation
/// (they go to the others), those in flight get <see cref="DrainGrace"/> to finish, then it is sent
/// <c>WorkerTerminate</c> (and, when DevServer itself stops, <c>InvocationCancel</c> for what still runs) and killed
/// if it has not exited <see cref="TerminateGrace"/> later. <see cref="StopWorker"/> does it to one worker, which is replaced at once, as
/// after a crash; <see cref="BeginStopping"/> to all of them when DevServer stops.
/// </para>
/// </summary>
public sealed class WorkerPool : IAsyncDisposable
{
    public const string CountSetting = "FUNCTIONS_WORKER_PROCESS_COUNT";
    private static readonly TimeSpan ReadyWait = TimeSpan.FromSeconds(30);
    /// <summary>The host's WorkerConstants.WorkerTerminateGracePeriodInSeconds.</summary>
    public static readonly TimeSpan TerminateGrace = TimeSpan.FromSeconds(5);

    /// <summary>Seconds a stopping worker's invocations get to finish before it is terminated.</summary>
    public const string DrainSetting = "DevServer:WorkerDrainSeconds";

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
    private readonly Dictionary<int, (RunningWorker Worker, Task Stopped)> _retiring = [];
    private volatile bool _disposing;
    private volatile bool _stopRestarting;
    private Task? _stoppingAll;

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

    /// <summary>
    /// How long a stopping worker's invocations may run on before it is terminated: 5 s, the host dispatcher's
    /// default process shutdown interval, unless <see cref="DrainSetting"/> says otherwise.
    /// </summary>
    public TimeSpan DrainGrace { get; init; } = TimeSpan.FromSeconds(5);

    public static TimeSpan ReadDrainGrace(IConfiguration configuration)
    {
        var text = configuration[DrainSetting];
        if (string.IsNullOrWhiteSpace(text))
        {
            return TimeSpan.FromSeconds(5);
        }
        return int.TryParse(text, out var seconds) && seconds is >= 0 and <= 300
            ? TimeSpan.FromSeconds(seconds)
            : throw new DevServerException($"{DrainSetting} is '{text}'; it must be a whole number of seconds from 0 to 300.");
    }

    public int Count => _running.Length;

    /// <summary>Where the running workers' pids are written down, for a DevServer started after this one is killed.</summary>
    public WorkerPidFile? PidFile { get; set; }

    /// <summary>The worker processes running now, stopping ones included.</summary>
    public IReadOnlyList<WorkerProcess> Processes
    {
        get
        {
            lock (_retiring)
            {
                return [.. _running.OfType<RunningWorker>().Select(r => r.Process), .. _retiring.Values.Select(r => r.Worker.Process)];
            }
        }
    }

    /// <summary>Every worker process, ready or stopping, with its invocations: for /_dev/workers.</summary>
    public IReadOnlyList<WorkerState> Describe()
    {
        lock (_retiring)
        {
            return
            [
                .. _running.OfType<RunningWorker>().Where(r => !r.Channel.Draining).Select(r => r.State("ready")),
                .. _retiring.Values.Select(r => r.Worker.State("stopping")),
            ];
        }
    }

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
    /// Stops every worker in the host's order, none replaced; called when DevServer starts stopping, so that the
    /// open requests are answered while its server waits for them. Ctrl+C in a terminal reaches the workers too (one
    /// process group), and one that exits first must not be started again.
    /// </summary>
    public Task BeginStopping()
    {
        _stopRestarting = true;
        lock (_retiring)
        {
            if (_stoppingAll is null)
            {
                var stops = _running.OfType<RunningWorker>().Select(r => Retire(r, "DevServer is stopping", cancelRemaining: true)).ToList();
                _stoppingAll = Task.WhenAll(stops);
            }
            return _stoppingAll;
        }
    }

    /// <summary>
    /// Stops one ready worker gracefully (the one with process id <paramref name="pid"/>, or a random one) and starts
    /// its replacement; returns the process id, or null when there is no such ready worker.
    /// </summary>
    public int? StopWorker(int? pid)
    {
        var ready = _running.OfType<RunningWorker>().Where(r => !r.Channel.Draining && !r.Process.Exited.IsCompleted && (pid is null || r.Process.Id == pid)).ToArray();
        if (ready.Length == 0 || _stopRestarting)
        {
            return null;
        }
        var chosen = ready[Random.Shared.Next(ready.Length)];
        _ = Retire(chosen, "asked to stop", cancelRemaining: false);
        return chosen.Process.Id;
    }

    /// <summary>True while the worker's process runs (ready or stopping).</summary>
    public bool IsRunning(WorkerChannel channel)
    {
        lock (_retiring)
        {
            var worker = _running.OfType<RunningWorker>().FirstOrDefault(r => r.Channel == channel)
                ?? _retiring.Values.Select(r => r.Worker).FirstOrDefault(r => r.Channel == channel);
            return worker is not null && !worker.Process.Exited.IsCompleted;
        }
    }

    /// <summary>
    /// The worker's HTTP server refused a connection after it had answered: it is stopping by itself (a SIGTERM from
    /// outside, say). Stopped in the host's order from here, and replaced.
    /// </summary>
    public void StoppedListening(WorkerChannel channel)
    {
        if (_running.OfType<RunningWorker>().FirstOrDefault(r => r.Channel == channel) is { } worker)
        {
            _ = Retire(worker, "its HTTP server refused a connection: it is stopping by itself", cancelRemaining: false);
        }
        else
        {
            channel.StartDraining();
        }
    }

    /// <summary>
    /// A random ready worker, not a stopping one, with the invocation counted in (pair it with
    /// <see cref="WorkerChannel.EndInvocation"/>); waits a while for one when all are starting again.
    /// </summary>
    public async Task<WorkerChannel> PickAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReadyWait);
        while (true)
        {
            var changed = _readyChanged.Task;
            var ready = _running.OfType<RunningWorker>().Where(r => !r.Channel.Closed.IsCompleted && !r.Channel.Draining).Select(r => r.Channel).ToArray();
            if (ready.Length > 0)
            {
                var chosen = ready[Random.Shared.Next(ready.Length)];
                if (chosen.TryBeginInvocation())
                {
                    return chosen;
                }
                // It began to drain just now: pick again among the others.
                continue;
            }
            if (_disposing || _stopRestarting)
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
        while (!_disposing && !_stopRestarting)
        {
            var channel = new WorkerChannel(Guid.NewGuid().ToString(), _loggers) { SendsCancel = SendInvocationCancel };
            _rpc.Expect(channel);
            var process = WorkerProcess.Start(_app, _rpc.Uri, channel.WorkerId, _appSettings, _loggers.CreateLogger("DevServer.Worker.Console"));
            PidFile?.Add(process.Id);
            var wasReady = false;
            RunningWorker? running = null;
            try
            {
                await channel.InitializeAsync(_app, process.Exited, _stopping.Token);
                running = new RunningWorker(channel, process, slot);
                SetRunning(slot, running);
                wasReady = true;
                _logger.LogDebug("Worker process {Pid} is ready (slot {Slot}, HttpUri {Uri}).", process.Id, slot, channel.HttpUri);
                _firstReady.TrySetResult(channel.Index);
                failures = 0;
                if (_stopRestarting)
                {
                    // Ready just as DevServer began to stop, after BeginStopping looked at the slots.
                    _ = Retire(running, "DevServer is stopping", cancelRemaining: true);
                }
                await Task.WhenAny(process.Exited, channel.Closed, running.Retired.Task);
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
            if (running is not null && running.Retired.Task.IsCompleted)
            {
                // Retire stops it in the host's order; meanwhile the slot gets a new worker at once (unless DevServer
                // is stopping), as after a crash but without the crash's back-off.
                if (!_disposing && !_stopRestarting)
                {
                    _logger.LogInformation("Starting a worker process to replace {Pid} (slot {Slot}).", process.Id, slot);
                }
                continue;
            }
            if (_disposing || _stopRestarting)
            {
                // A ready worker was sent WorkerTerminate and may still be finishing; one still starting is not needed.
                if (!wasReady)
                {
                    process.Kill();
                }
                await process.StopAsync(TerminateGrace);
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
            if (process.ExitCode == 0)
            {
                // It stopped in order by itself (a SIGTERM from outside, say): replaced at once, no failure.
                _logger.LogWarning("Worker process {Pid} exited by itself with code 0; starting a new one.", process.Id);
                continue;
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

    /// <summary>Starts stopping <paramref name="worker"/> (once; later calls return the same task).</summary>
    private Task Retire(RunningWorker worker, string reason, bool cancelRemaining)
    {
        lock (_retiring)
        {
            if (_retiring.TryGetValue(worker.Process.Id, out var stopping))
            {
                return stopping.Stopped;
            }
            // 1. No new invocation: PickAsync passes it over from now on.
            worker.Channel.StartDraining();
            var stopped = RetireAsync(worker, reason, cancelRemaining);
            _retiring[worker.Process.Id] = (worker, stopped);
            // The supervisor frees the slot and starts a replacement.
            worker.Retired.TrySetResult();
            return stopped;
        }
    }

    private async Task RetireAsync(RunningWorker worker, string reason, bool cancelRemaining)
    {
        await Task.Yield();
        var (channel, process, slot) = worker;
        try
        {
            _logger.LogInformation("Stopping worker process {Pid} (slot {Slot}; {Reason}): no new invocations; {InFlight} in flight get up to {Seconds} s to finish.",
                process.Id, slot, reason, channel.InFlight, DrainGrace.TotalSeconds);
            // 2. The invocations in flight finish (or the process ends by itself).
            await Task.WhenAny(channel.Idle, process.Exited, Task.Delay(DrainGrace));
            if (!process.Exited.IsCompleted)
            {
                // 3. WorkerTerminate, as the host disposing a channel sends it; the worker stops its application, and an
                // app that answers its open requests on ApplicationStopping answers them now. When DevServer itself
                // stops (Ctrl+C), unlike the host, it also cancels what still runs, so that a function that watches
                // its token answers instead of being cut off by the kill below. A single worker's stop does not: what
                // it has not answered by the kill fails, as on an Azure instance, and the caller sees it fail.
                if (cancelRemaining && !channel.Idle.IsCompleted && channel.CancelAll() is > 0 and var cancelled)
                {
                    _logger.LogInformation("Worker process {Pid} still runs {Count} invocation(s) after {Seconds} s: InvocationCancel sent.", process.Id, cancelled, DrainGrace.TotalSeconds);
                }
                channel.Terminate(TerminateGrace);
                // 4. A kill if it has not exited within the grace.
                await process.StopAsync(TerminateGrace);
            }
            channel.Close("the worker process stopped");
            _logger.LogInformation("Worker process {Pid} stopped (exit code {Code}).", process.Id, process.ExitCode);
            await process.DisposeAsync();
        }
        finally
        {
            lock (_retiring)
            {
                _retiring.Remove(process.Id);
            }
        }
    }

    /// <summary>Every worker stopped in the host's order (see <see cref="BeginStopping"/>), then the supervisors ended.</summary>
    public async ValueTask DisposeAsync()
    {
        // Twice on a normal stop: by the host's services when it stops, then by Program's `await using`.
        if (_disposing)
        {
            return;
        }
        await BeginStopping();
        _disposing = true;
        Task[] stopping;
        lock (_retiring)
        {
            stopping = [.. _retiring.Values.Select(r => r.Stopped)];
        }
        await Task.WhenAll(stopping);
        _stopping.Cancel();
        await Task.WhenAll(_supervisors.Where(s => s is not null));
        lock (_retiring)
        {
            // Any that became ready, and so began to stop, after the first look.
            stopping = [.. _retiring.Values.Select(r => r.Stopped)];
        }
        await Task.WhenAll(stopping);
        _readyChanged.TrySetResult();
    }

    /// <summary>A class, so a slot changes in one reference write that readers on other threads see whole.</summary>
    private sealed record RunningWorker(WorkerChannel Channel, WorkerProcess Process, int Slot)
    {
        /// <summary>Completes when the worker begins to stop in order: its slot is free for a new one.</summary>
        public TaskCompletionSource Retired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public WorkerState State(string state) => new(Process.Id, Slot, state, Channel.InFlight, Channel.Invocations);
    }
}

/// <summary>One worker process as /_dev/workers shows it.</summary>
public sealed record WorkerState(int Pid, int Slot, string State, int InFlight, long Invocations);
