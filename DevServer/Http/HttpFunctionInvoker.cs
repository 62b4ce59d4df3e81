using System.Diagnostics;
using System.Net;
using FunctionsChat.DevServer.Rpc;
using FunctionsChat.DevServer.Workers;
using Yarp.ReverseProxy.Forwarder;

namespace FunctionsChat.DevServer.Http;

/// <summary>
/// One HTTP invocation, as the host runs it with ASP.NET Core integration: an <c>InvocationRequest</c> with an empty
/// <c>http</c> trigger value and the route values as trigger metadata, and the raw request forwarded to the worker's
/// HttpUri with <c>x-ms-invocation-id</c>, the worker's response streamed straight back. A caller who leaves aborts
/// the forwarded request and cancels the invocation; a stopping worker finishes what it was sent (see WorkerPool).
/// </summary>
public sealed class HttpFunctionInvoker(WorkerPool pool, IHttpForwarder forwarder, ILogger<HttpFunctionInvoker> logger)
{
    private static readonly TimeSpan ResponseWait = TimeSpan.FromSeconds(30);

    // Like the host's: no proxy, no cookies, no redirects or decompression; the body passes through untouched.
    private readonly HttpMessageInvoker _client = new(new RetryWhileStarting(new SocketsHttpHandler
    {
        UseProxy = false,
        AllowAutoRedirect = false,
        AutomaticDecompression = DecompressionMethods.None,
        UseCookies = false,
        ActivityHeadersPropagator = null,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
    }));

    // Longer than any long poll; the function timeout in host.json bounds the work itself.
    private static readonly ForwarderRequestConfig RequestConfig = new() { ActivityTimeout = TimeSpan.FromMinutes(5) };

    public async Task InvokeAsync(HttpContext context, HttpFunction function)
    {
        var body = context.Request.Body is { } original && !ReferenceEquals(original, Stream.Null) ? new ReadTracking(original) : null;
        if (body is not null)
        {
            context.Request.Body = body;
        }
        for (var attempt = 1; ; attempt++)
        {
            WorkerChannel worker;
            try
            {
                worker = await pool.PickAsync(context.RequestAborted);
            }
            catch (WorkerUnavailableException e)
            {
                await Problems.ServiceUnavailableAsync(context, $"The function app is not running: {e.Message}.");
                return;
            }
            catch (OperationCanceledException)
            {
                return;
            }
            bool sendElsewhere;
            try
            {
                // A worker whose server refused the connection had stopped by itself (an outside SIGTERM): nothing
                // reached it, so the request goes to another one, a few times at most.
                sendElsewhere = await InvokeAsync(context, function, worker, mayGoElsewhere: attempt < MaxAttempts && body?.Started != true);
            }
            finally
            {
                worker.EndInvocation();
            }
            if (!sendElsewhere)
            {
                return;
            }
        }
    }

    private const int MaxAttempts = 4;

    /// <summary>Returns true when the worker refused the connection and nothing was sent: the caller sends it elsewhere.</summary>
    private async Task<bool> InvokeAsync(HttpContext context, HttpFunction function, WorkerChannel worker, bool mayGoElsewhere)
    {
        var invocation = worker.NewInvocation(function.Name);
        invocation.InputData.Add(new ParameterBinding { Name = function.TriggerParameter, Data = new TypedData { Http = new RpcHttp() } });
        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text)
            {
                invocation.TriggerMetadata[name] = new TypedData { String = text };
            }
        }

        var started = Stopwatch.GetTimestamp();
        // Only the caller leaving aborts the forwarded request. A stop (of this worker, or of DevServer) does not: the
        // worker finishes what it was sent within the pool's grace (when DevServer itself stops, the pool then cancels
        // what still runs), and the function's answer still reaches the caller.
        var departed = context.RequestAborted;
        worker.Track(invocation.InvocationId);
        try
        {
            var response = worker.InvokeAsync(invocation, CancellationToken.None);
            using var cancelOnDeparture = departed.Register(() => worker.Cancel(invocation.InvocationId));
            var error = await forwarder.SendAsync(context, worker.HttpUri!.ToString(), _client, RequestConfig,
                new InvocationTransformer(invocation.InvocationId, worker), departed);
            if (mayGoElsewhere && error == ForwarderError.Request && worker.HasAnswered && !context.Response.HasStarted
                && !departed.IsCancellationRequested && IsRefused(context.GetForwarderErrorFeature()?.Exception)
                && await StillRunningAsync(worker))
            {
                // Its server answered before and now refuses: the worker is stopping by itself. It got the
                // InvocationRequest but never the HTTP request; cancel that, stop it in order, and go elsewhere.
                worker.Cancel(invocation.InvocationId);
                _ = response.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                pool.StoppedListening(worker);
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Features.Set<IForwarderErrorFeature>(null);
                logger.LogInformation("Worker {WorkerId} refused a connection: it is stopping; Functions.{Name} goes to another worker.", worker.WorkerId, function.Name);
                return true;
            }

            InvocationResponse? result = null;
            string? failure = null;
            try
            {
                result = await response.WaitAsync(ResponseWait);
            }
            catch (WorkerUnavailableException e)
            {
                failure = e.Message;
            }
            catch (TimeoutException)
            {
                failure = $"no InvocationResponse within {ResponseWait.TotalSeconds} s of the HTTP response";
            }
            if (error != ForwarderError.None && !context.Response.HasStarted && !departed.IsCancellationRequested)
            {
                // Instead of YARP's bare status: the caller's own broken body is a 400; anything on the worker's side
                // (it died, or could not be reached) a 503 to retry.
                if (error == ForwarderError.RequestBodyClient)
                {
                    await Problems.BadRequestAsync(context, "The request body could not be read: it ended early or its chunked encoding is broken.");
                }
                else
                {
                    await Problems.ServiceUnavailableAsync(context, "The function app's worker process stopped while handling this request; it is being restarted. Try again.");
                }
            }
            LogOutcome(function, invocation.InvocationId, result, failure ?? (error == ForwarderError.None ? null : $"forwarding failed ({error})"),
                Stopwatch.GetElapsedTime(started), departed.IsCancellationRequested);
            return false;
        }
        finally
        {
            worker.Untrack(invocation.InvocationId);
        }
    }

    private void LogOutcome(HttpFunction function, string invocationId, InvocationResponse? result, string? failure, TimeSpan duration, bool callerLeft)
    {
        var milliseconds = (long)duration.TotalMilliseconds;
        if (result is null)
        {
            if (!callerLeft)
            {
                logger.LogError("Executed 'Functions.{Name}' (Failed, Id={Id}, Duration={Duration}ms): {Failure}", function.Name, invocationId, milliseconds, failure);
            }
            return;
        }
        if (result.ReturnValue is not null)
        {
            // With ASP.NET Core integration the response went over HTTP; a return value is the same result serialized again.
            logger.LogWarning("Functions.{Name} sent a return value over gRPC besides its HTTP response ({Bytes} bytes).", function.Name, result.ReturnValue.CalculateSize());
        }
        switch (result.Result.Status)
        {
            case StatusResult.Types.Status.Success:
                logger.LogDebug("Executed 'Functions.{Name}' (Succeeded, Id={Id}, Duration={Duration}ms)", function.Name, invocationId, milliseconds);
                break;
            case StatusResult.Types.Status.Cancelled:
                logger.LogWarning("Executed 'Functions.{Name}' (Cancelled, Id={Id}, Duration={Duration}ms)", function.Name, invocationId, milliseconds);
                break;
            default:
                var exception = result.Result.Exception;
                logger.LogError("Executed 'Functions.{Name}' (Failed, Id={Id}, Duration={Duration}ms)\n{Type}: {Message}\n{StackTrace}",
                    function.Name, invocationId, milliseconds, exception?.Type, exception?.Message, exception?.StackTrace);
                break;
        }
    }

    /// <summary>
    /// Copies the request, adds the invocation id the worker pairs it by, and sets the X-Forwarded headers from this
    /// connection (the worker trusts them from loopback), dropping any the caller sent.
    /// </summary>
    private sealed class InvocationTransformer(string invocationId, WorkerChannel worker) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Options.Set(Worker, worker);
            var headers = proxyRequest.Headers;
            foreach (var name in new[] { "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "Forwarded" })
            {
                headers.Remove(name);
            }
            headers.TryAddWithoutValidation("x-ms-invocation-id", invocationId);
            if (httpContext.Connection.RemoteIpAddress is { } client)
            {
                headers.TryAddWithoutValidation("X-Forwarded-For", client.ToString());
            }
            headers.TryAddWithoutValidation("X-Forwarded-Proto", httpContext.Request.Scheme);
            headers.TryAddWithoutValidation("X-Forwarded-Host", httpContext.Request.Host.Value);
        }
    }

    /// <summary>
    /// A refused connection is also what the client's own retry meets when a worker died under a request it had
    /// already sent on a pooled connection (the handler resends a request whose reused connection closed before any
    /// answer). Such a request may have run: it must fail, not go elsewhere. A worker that died is gone within a
    /// moment; one whose server merely stopped accepting (an outside SIGTERM) runs on while it finishes its requests.
    /// </summary>
    private async Task<bool> StillRunningAsync(WorkerChannel worker)
    {
        await Task.Delay(DeathSettles);
        return pool.IsRunning(worker) && !worker.Closed.IsCompleted;
    }

    private static readonly TimeSpan DeathSettles = TimeSpan.FromMilliseconds(250);

    /// <summary>The worker a forwarded request goes to.</summary>
    private static readonly HttpRequestOptionsKey<WorkerChannel> Worker = new("DevServer.Worker");

    private static bool IsRefused(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>The request body, noting whether anything read it (then a request cannot be sent again).</summary>
    private sealed class ReadTracking(Stream inner) : Stream
    {
        public bool Started { get; private set; }

        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) { Started = true; return inner.Read(buffer, offset, count); }
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) { Started = true; return inner.ReadAsync(buffer, cancellationToken); }
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) { Started = true; return inner.ReadAsync(buffer, offset, count, cancellationToken); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>
    /// A fresh worker answers its init before its HTTP server listens; like the host's proxy, retry a refused
    /// connection for a moment (nothing was sent, so nothing is sent twice). Not once the worker's server has answered:
    /// then a refusal means it is stopping, and the invoker sends the request to another worker.
    /// </summary>
    private sealed class RetryWhileStarting(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(100);
        private const int Attempts = 50;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var response = await base.SendAsync(request, cancellationToken);
                    if (request.Options.TryGetValue(Worker, out var answering))
                    {
                        answering.MarkAnswered();
                    }
                    return response;
                }
                catch (HttpRequestException e) when (attempt < Attempts && e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused }
                    && !(request.Options.TryGetValue(Worker, out var refusing) && refusing.HasAnswered))
                {
                    await Task.Delay(Delay, cancellationToken);
                }
            }
        }
    }
}
