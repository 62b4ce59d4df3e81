using System.Collections.Concurrent;
using System.Threading.Channels;
using FunctionsChat.DevServer.Rpc;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace FunctionsChat.DevServer.Workers;

/// <summary>The worker is gone (exited, or its stream closed): what was sent to it gets no answer.</summary>
public sealed class WorkerUnavailableException(string message) : Exception(message);

/// <summary>
/// The event stream to one worker, as the host's gRPC channel drives it: the init handshake, the metadata request,
/// one load per function, then invocations and cancellations. Requests and responses pair by <c>request_id</c>;
/// the worker's <c>RpcLog</c> messages become DevServer log lines under the worker's category and level.
/// </summary>
public sealed class WorkerChannel(string workerId, ILoggerFactory loggers)
{
    private const string HandlesInvocationCancel = "HandlesInvocationCancelMessage";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly Channel<StreamingMessage> _outbox = Channel.CreateUnbounded<StreamingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StreamingMessage>> _pending = new();
    private readonly ConcurrentDictionary<string, ILogger> _workerLoggers = new();
    private readonly TaskCompletionSource _attached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, string> _functionIds = new(StringComparer.Ordinal);
    private readonly ILogger _logger = loggers.CreateLogger("DevServer.Worker");
    private IReadOnlyDictionary<string, string> _capabilities = new Dictionary<string, string>();
    private readonly ConcurrentDictionary<string, byte> _inFlight = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _idle = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _admitted;
    private long _invocations;
    private int _draining;
    private int _answered;

    public string WorkerId { get; } = workerId;

    /// <summary>Where the worker's ASP.NET Core server listens (its <c>HttpUri</c> capability).</summary>
    public Uri? HttpUri { get; private set; }

    public FunctionIndex Index { get; private set; } = new([], [], []);

    /// <summary>Completes when the stream has closed.</summary>
    public Task Closed => _closed.Task;

    public bool SendsCancel { get; set; } = true;

    /// <summary>True once <see cref="StartDraining"/> was called: the worker takes no new invocation.</summary>
    public bool Draining => Volatile.Read(ref _draining) == 1;

    /// <summary>HTTP invocations sent to this worker and not finished yet.</summary>
    public int InFlight => Volatile.Read(ref _admitted);

    /// <summary>HTTP invocations ever sent to this worker.</summary>
    public long Invocations => Interlocked.Read(ref _invocations);

    /// <summary>Completes when the worker is draining and has no invocation left.</summary>
    public Task Idle => _idle.Task;

    /// <summary>
    /// Counts an invocation in, unless the worker is draining: then the caller picks another worker. Every true is
    /// paired with one <see cref="EndInvocation"/>.
    /// </summary>
    public bool TryBeginInvocation()
    {
        // Both sides use interlocked operations (full fences): either the drain sees this invocation counted, or this
        // sees the drain and backs out.
        Interlocked.Increment(ref _admitted);
        if (Volatile.Read(ref _draining) == 1)
        {
            EndInvocation();
            return false;
        }
        Interlocked.Increment(ref _invocations);
        return true;
    }

    public void EndInvocation()
    {
        if (Interlocked.Decrement(ref _admitted) == 0 && Volatile.Read(ref _draining) == 1)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>No new invocation from now on (the host's drain); <see cref="Idle"/> says when the last one ended.</summary>
    public void StartDraining()
    {
        Interlocked.Exchange(ref _draining, 1);
        if (Volatile.Read(ref _admitted) == 0)
        {
            _idle.TrySetResult();
        }
    }

    /// <summary>True once the worker's HTTP server has answered a forwarded request.</summary>
    public bool HasAnswered => Volatile.Read(ref _answered) == 1;

    public void MarkAnswered() => Volatile.Write(ref _answered, 1);

    /// <summary>Remembers an invocation sent, so that a stop can cancel those still running.</summary>
    public void Track(string invocationId) => _inFlight[invocationId] = 0;

    public void Untrack(string invocationId) => _inFlight.TryRemove(invocationId, out _);

    /// <summary>InvocationCancel for every invocation still running; returns how many.</summary>
    public int CancelAll()
    {
        var ids = _inFlight.Keys.ToList();
        foreach (var id in ids)
        {
            Cancel(id);
        }
        return ids.Count;
    }

    /// <summary>Runs for as long as the worker keeps its <c>EventStream</c> call open; the RPC service calls it.</summary>
    public async Task RunStreamAsync(IAsyncStreamReader<StreamingMessage> input, IServerStreamWriter<StreamingMessage> output, CancellationToken cancellationToken)
    {
        _attached.TrySetResult();
        var writing = WriteAllAsync(output, cancellationToken);
        try
        {
            while (await input.MoveNext(cancellationToken))
            {
                Dispatch(input.Current);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or Grpc.Core.RpcException)
        {
            // The worker went away mid-stream; Close below says so to everyone waiting.
        }
        finally
        {
            Close("its event stream closed");
            await writing.ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>Init, metadata and loads, in the host's order; throws when the worker refuses or goes away.</summary>
    public async Task InitializeAsync(FunctionApp app, Task processExited, CancellationToken cancellationToken)
    {
        var attached = await Task.WhenAny(_attached.Task, processExited, Task.Delay(StartTimeout, cancellationToken));
        if (attached != _attached.Task)
        {
            cancellationToken.ThrowIfCancellationRequested();
            throw new WorkerUnavailableException(processExited.IsCompleted
                ? "the worker exited before it opened its event stream"
                : $"the worker did not open its event stream within {StartTimeout.TotalSeconds} s");
        }
        var init = (await SendAsync(new StreamingMessage
        {
            WorkerInitRequest = new WorkerInitRequest
            {
                HostVersion = typeof(WorkerChannel).Assembly.GetName().Version?.ToString() ?? "",
                WorkerDirectory = app.Directory,
                FunctionAppDirectory = app.Directory,
            },
        }, cancellationToken)).WorkerInitResponse;
        EnsureSuccess(init.Result, "WorkerInitRequest");
        _capabilities = init.Capabilities.ToDictionary();
        HttpUri = _capabilities.TryGetValue("HttpUri", out var uri) ? new Uri(uri)
            : throw new WorkerUnavailableException("the worker announced no HttpUri: is ASP.NET Core integration (ConfigureFunctionsWebApplication) configured?");

        var metadata = (await SendAsync(new StreamingMessage
        {
            FunctionsMetadataRequest = new FunctionsMetadataRequest { FunctionAppDirectory = app.Directory },
        }, cancellationToken)).FunctionMetadataResponse;
        EnsureSuccess(metadata.Result, "FunctionsMetadataRequest");

        var loads = metadata.FunctionMetadataResults.Select(async function =>
        {
            function.FunctionId = function.FunctionId is { Length: > 0 } id ? id : Guid.NewGuid().ToString();
            var load = (await SendAsync(new StreamingMessage
            {
                FunctionLoadRequest = new FunctionLoadRequest { FunctionId = function.FunctionId, Metadata = function },
            }, cancellationToken)).FunctionLoadResponse;
            EnsureSuccess(load.Result, $"FunctionLoadRequest for {function.Name}");
        });
        await Task.WhenAll(loads);
        foreach (var function in metadata.FunctionMetadataResults)
        {
            _functionIds[function.Name] = function.FunctionId;
        }
        Index = FunctionIndex.From(metadata.FunctionMetadataResults);
    }

    public InvocationRequest NewInvocation(string functionName) => new()
    {
        InvocationId = Guid.NewGuid().ToString(),
        // The request's trace when there is one, as the host passes its own; a new one otherwise.
        TraceContext = new RpcTraceContext
        {
            TraceParent = System.Diagnostics.Activity.Current?.Id
                ?? $"00-{System.Diagnostics.ActivityTraceId.CreateRandom()}-{System.Diagnostics.ActivitySpanId.CreateRandom()}-00",
            TraceState = System.Diagnostics.Activity.Current?.TraceStateString ?? "",
        },
        FunctionId = _functionIds.TryGetValue(functionName, out var id) ? id
            : throw new WorkerUnavailableException($"this worker has not loaded {functionName}"),
    };

    public async Task<InvocationResponse> InvokeAsync(InvocationRequest request, CancellationToken cancellationToken) =>
        (await SendAsync(new StreamingMessage { InvocationRequest = request }, cancellationToken)).InvocationResponse;

    /// <summary>Sends <c>InvocationCancel</c> when the worker said it handles it, as the host does.</summary>
    public void Cancel(string invocationId)
    {
        if (SendsCancel && _capabilities.TryGetValue(HandlesInvocationCancel, out var handles) && bool.TryParse(handles, out var yes) && yes)
        {
            _outbox.Writer.TryWrite(new StreamingMessage { InvocationCancel = new InvocationCancel { InvocationId = invocationId } });
        }
    }

    public void Terminate(TimeSpan grace) =>
        _outbox.Writer.TryWrite(new StreamingMessage { WorkerTerminate = new WorkerTerminate { GracePeriod = Duration.FromTimeSpan(grace) } });

    /// <summary>Fails everything still waiting for an answer; later sends fail at once.</summary>
    public void Close(string why)
    {
        if (!_closed.TrySetResult())
        {
            return;
        }
        _outbox.Writer.TryComplete();
        foreach (var key in _pending.Keys)
        {
            if (_pending.TryRemove(key, out var waiting))
            {
                waiting.TrySetException(new WorkerUnavailableException($"worker {WorkerId} is gone: {why}"));
            }
        }
    }

    private async Task<StreamingMessage> SendAsync(StreamingMessage message, CancellationToken cancellationToken)
    {
        message.RequestId = Guid.NewGuid().ToString();
        var answer = new TaskCompletionSource<StreamingMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[message.RequestId] = answer;
        if (_closed.Task.IsCompleted || !_outbox.Writer.TryWrite(message))
        {
            _pending.TryRemove(message.RequestId, out _);
            throw new WorkerUnavailableException($"worker {WorkerId} is gone");
        }
        try
        {
            return await answer.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _pending.TryRemove(message.RequestId, out _);
        }
    }

    private async Task WriteAllAsync(IServerStreamWriter<StreamingMessage> output, CancellationToken cancellationToken)
    {
        await foreach (var message in _outbox.Reader.ReadAllAsync(cancellationToken))
        {
            await output.WriteAsync(message, cancellationToken);
        }
    }

    private void Dispatch(StreamingMessage message)
    {
        if (message.ContentCase == StreamingMessage.ContentOneofCase.RpcLog)
        {
            Log(message.RpcLog);
        }
        else if (_pending.TryRemove(message.RequestId, out var waiting))
        {
            waiting.TrySetResult(message);
        }
    }

    private void Log(RpcLog log)
    {
        var level = log.Level switch
        {
            RpcLog.Types.Level.Trace => LogLevel.Trace,
            RpcLog.Types.Level.Debug => LogLevel.Debug,
            RpcLog.Types.Level.Information => LogLevel.Information,
            RpcLog.Types.Level.Warning => LogLevel.Warning,
            RpcLog.Types.Level.Error => LogLevel.Error,
            RpcLog.Types.Level.Critical => LogLevel.Critical,
            _ => LogLevel.None,
        };
        // Under "Worker." so a worker's lines read apart from DevServer's, and can be filtered apart.
        var logger = _workerLoggers.GetOrAdd("Worker." + (log.Category is { Length: > 0 } category ? category : "Host"), loggers.CreateLogger);
        if (level == LogLevel.None || !logger.IsEnabled(level))
        {
            return;
        }
        if (log.Exception is { } exception)
        {
            logger.Log(level, "{Message}\n{ExceptionType}: {ExceptionMessage}\n{StackTrace}", log.Message, exception.Type, exception.Message, exception.StackTrace);
        }
        else
        {
            logger.Log(level, "{Message}", log.Message);
        }
    }

    private void EnsureSuccess(StatusResult? result, string what)
    {
        if (result is null || result.Status != StatusResult.Types.Status.Success)
        {
            var detail = result?.Exception is { } e ? $"{e.Type}: {e.Message}" : result?.Result;
            _logger.LogError("Worker {WorkerId} failed {What}: {Detail}", WorkerId, what, detail);
            throw new WorkerUnavailableException($"the worker failed {what}: {detail}");
        }
    }
}
