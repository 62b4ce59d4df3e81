using System.Collections.Concurrent;
using System.Diagnostics;
using FunctionsChat.DevServer.Otlp;
using FunctionsChat.DevServer.Workers;
using Grpc.Core;

namespace FunctionsChat.DevServer;

/// <summary>
/// Development only: <c>GET /_dev/metrics</c> reports the storage operations the worker processes counted
/// (their <c>chat.storage.operations</c> meter, exported to DevServer over OTLP) and the workers' memory, so a load
/// test can read costs before and after a run. <c>POST /_dev/metrics/reset-peak</c> restarts the sampled memory peak.
/// Nothing of it is in the function app: the worker only exports its meters, as it would to any collector.
/// <c>GET /_dev/workers</c> lists the worker processes (ready or stopping, with their invocations in flight);
/// <c>POST /_dev/workers/stop[?pid=N]</c> stops one (a random ready one without pid) in the host's order and starts its
/// replacement: what bench/run.sh --stop-worker-every does.
/// </summary>
internal static class Diagnostics
{
    public const string Route = "/_dev/metrics";
    public const string WorkersRoute = "/_dev/workers";

    /// <summary>How often the worker exports; the figures lag the work by up to this much.</summary>
    public static readonly TimeSpan ExportInterval = TimeSpan.FromSeconds(1);

    /// <summary>The settings that point a worker's OTLP exporter at DevServer, unless the developer set their own.</summary>
    public static Dictionary<string, string> WorkerExportSettings(IConfiguration configuration, Uri rpcUri)
    {
        if (!string.IsNullOrEmpty(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            return [];
        }
        return new()
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = rpcUri.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "grpc",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = $"{(int)ExportInterval.TotalMilliseconds}",
        };
    }

    public static void MapOtlpReceiver(this WebApplication rpc)
    {
        rpc.MapGrpcService<OtlpMetricsService>();
        rpc.MapGrpcService<OtlpTracesService>();
        rpc.MapGrpcService<OtlpLogsService>();
    }

    public static WebApplication MapDevDiagnostics(this WebApplication app, WorkerPool pool)
    {
        var counts = app.Services.GetRequiredService<StorageCounts>();
        var memory = new MemorySampler(pool);
        app.Lifetime.ApplicationStopping.Register(memory.Dispose);
        app.MapGet(Route, () => Results.Json(new
        {
            storageOperations = counts.Snapshot(),
            process = memory.Snapshot(),
        })).ExcludeFromDescription();
        app.MapPost(Route + "/reset-peak", () =>
        {
            memory.ResetPeak();
            return Results.NoContent();
        }).ExcludeFromDescription();
        app.MapGet(WorkersRoute, () => Results.Json(pool.Describe())).ExcludeFromDescription();
        app.MapPost(WorkersRoute + "/stop", (int? pid) => pool.StopWorker(pid) is { } stopped
            ? Results.Json(new { pid = stopped }, statusCode: StatusCodes.Status202Accepted)
            : Results.Problem(pid is null ? "No worker process is ready to stop." : $"No ready worker process has pid {pid}.", statusCode: StatusCodes.Status409Conflict))
            .ExcludeFromDescription();
        return app;
    }

    /// <summary>
    /// <c>chat.storage.operations</c> by its <c>service</c> attribute (table, queue), summed over every worker process
    /// that ever exported (by <c>service.instance.id</c>), so a restarted worker's counts are not lost.
    /// </summary>
    internal sealed class StorageCounts
    {
        public const string MetricName = "chat.storage.operations";
        private readonly ConcurrentDictionary<(string Instance, string Service), long> _cumulative = new();
        private readonly ConcurrentDictionary<string, long> _deltas = new();

        public void Record(ExportMetricsServiceRequest request)
        {
            foreach (var resource in request.ResourceMetrics)
            {
                var instance = resource.Resource?.Attributes.FirstOrDefault(a => a.Key == "service.instance.id")?.Value?.StringValue ?? "";
                foreach (var metric in resource.ScopeMetrics.SelectMany(s => s.Metrics).Where(m => m.Name == MetricName && m.Sum is not null))
                {
                    var byService = metric.Sum.DataPoints
                        .GroupBy(p => p.Attributes.FirstOrDefault(a => a.Key == "service")?.Value?.StringValue ?? "other")
                        .Select(g => (Service: g.Key, Value: g.Sum(p => p.ValueCase == NumberDataPoint.ValueOneofCase.AsInt ? p.AsInt : (long)p.AsDouble)));
                    foreach (var (service, value) in byService)
                    {
                        if (metric.Sum.AggregationTemporality == AggregationTemporality.Delta)
                        {
                            _deltas.AddOrUpdate(service, value, (_, total) => total + value);
                        }
                        else
                        {
                            _cumulative[(instance, service)] = value;
                        }
                    }
                }
            }
        }

        public object Snapshot()
        {
            long Of(string service) =>
                _cumulative.Where(kv => kv.Key.Service == service).Sum(kv => kv.Value) + _deltas.GetValueOrDefault(service);
            var (table, queue) = (Of("table"), Of("queue"));
            var all = _cumulative.Values.Sum() + _deltas.Values.Sum();
            return new { table, queue, other = all - table - queue, total = all };
        }
    }

    private sealed class OtlpMetricsService(StorageCounts counts) : MetricsService.MetricsServiceBase
    {
        public override Task<ExportMetricsServiceResponse> Export(ExportMetricsServiceRequest request, ServerCallContext context)
        {
            counts.Record(request);
            return Task.FromResult(new ExportMetricsServiceResponse());
        }
    }

    private sealed class OtlpTracesService : Otlp.Traces.TraceService.TraceServiceBase
    {
        public override Task<Otlp.Traces.ExportTraceServiceResponse> Export(Otlp.Traces.ExportTraceServiceRequest request, ServerCallContext context) =>
            Task.FromResult(new Otlp.Traces.ExportTraceServiceResponse());
    }

    private sealed class OtlpLogsService : Otlp.Logs.LogsService.LogsServiceBase
    {
        public override Task<Otlp.Logs.ExportLogsServiceResponse> Export(Otlp.Logs.ExportLogsServiceRequest request, ServerCallContext context) =>
            Task.FromResult(new Otlp.Logs.ExportLogsServiceResponse());
    }

    /// <summary>
    /// The worker processes' memory added up: now, the OS's peaks, and a sum sampled every 100 ms that a load test can
    /// reset at its start. CPU is the workers' total.
    /// </summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly WorkerPool _pool;
        private readonly Timer _timer;
        private long _sampledPeak;

        public MemorySampler(WorkerPool pool)
        {
            _pool = pool;
            _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));
        }

        public void ResetPeak() => Interlocked.Exchange(ref _sampledPeak, Measure().WorkingSet);

        public object Snapshot()
        {
            Sample();
            var now = Measure();
            using var devServer = Process.GetCurrentProcess();
            return new
            {
                workers = _pool.Count,
                workingSetBytes = now.WorkingSet,
                peakWorkingSetBytes = now.Peak,
                sampledPeakWorkingSetBytes = Interlocked.Read(ref _sampledPeak),
                cpuSeconds = now.CpuSeconds,
                devServerWorkingSetBytes = devServer.WorkingSet64,
            };
        }

        public void Dispose() => _timer.Dispose();

        private (int Workers, long WorkingSet, long Peak, double CpuSeconds) Measure()
        {
            var samples = _pool.Processes.Select(p => p.Sample()).Where(s => s is not null).Select(s => s!.Value).ToList();
            return (samples.Count, samples.Sum(s => s.WorkingSet), samples.Sum(s => s.Peak), samples.Sum(s => s.CpuSeconds));
        }

        private void Sample()
        {
            var now = Measure().WorkingSet;
            long seen;
            while (now > (seen = Interlocked.Read(ref _sampledPeak)) && Interlocked.CompareExchange(ref _sampledPeak, now, seen) != seen)
            {
            }
        }
    }
}
