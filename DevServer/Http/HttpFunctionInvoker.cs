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
        try
        {
            await InvokeAsync(context, function, worker);
        }
        finally
        {
            worker.EndInvocation();
        }
    }

    private async Task InvokeAsync(HttpContext context, HttpFunction function, WorkerChannel worker)
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
        // pool cancels the invocation when its grace runs out, and the function's answer still reaches the caller.
        var departed = context.RequestAborted;
        worker.Track(invocation.InvocationId);
        try
        {
            var response = worker.InvokeAsync(invocation, CancellationToken.None);
            using var cancelOnDeparture = departed.Register(() => worker.Cancel(invocation.InvocationId));
            var error = await forwarder.SendAsync(context, worker.HttpUri!.ToString(), _client, RequestConfig,
                new InvocationTransformer(invocation.InvocationId), departed);

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
    private sealed class InvocationTransformer(string invocationId) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
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
    /// A fresh worker answers its init before its HTTP server listens; like the host's proxy, retry a refused
    /// connection for a moment (nothing was sent, so nothing is sent twice).
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
                    return await base.SendAsync(request, cancellationToken);
                }
                catch (HttpRequestException e) when (attempt < Attempts && e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
                {
                    await Task.Delay(Delay, cancellationToken);
                }
            }
        }
    }
}
