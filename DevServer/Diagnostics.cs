using System.Diagnostics;
using System.Diagnostics.Metrics;
using FunctionsChat.Storage.Azure;

namespace FunctionsChat.DevServer;

/// <summary>
/// Development only: <c>GET /_dev/metrics</c> reports the storage operations counted by
/// <see cref="StorageOperationCounter"/> (listened to with a <see cref="MeterListener"/>) and this process's memory, so a
/// load test can read costs before and after a run. <c>POST /_dev/metrics/reset-peak</c> restarts the sampled memory peak.
/// Never part of the function app: only DevServer maps it, and only in the Development environment.
/// </summary>
internal static class Diagnostics
{
    public const string Route = "/_dev/metrics";

    public static WebApplication MapDevDiagnostics(this WebApplication app)
    {
        if (!app.Environment.IsDevelopment())
        {
            return app;
        }
        var counts = new StorageCounts();
        var memory = new MemorySampler();
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            counts.Dispose();
            memory.Dispose();
        });
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
        return app;
    }

    /// <summary>Sums <c>chat.storage.operations</c> by its <c>service</c> tag (table, queue).</summary>
    private sealed class StorageCounts : IDisposable
    {
        private readonly MeterListener listener = new();
        private long table;
        private long queue;
        private long other;

        public StorageCounts()
        {
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == StorageOperationCounter.MeterName && instrument.Name == StorageOperationCounter.InstrumentName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<long>(OnMeasurement);
            listener.Start();
        }

        public object Snapshot()
        {
            var (t, q, o) = (Interlocked.Read(ref table), Interlocked.Read(ref queue), Interlocked.Read(ref other));
            return new { table = t, queue = q, other = o, total = t + q + o };
        }

        public void Dispose() => listener.Dispose();

        private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
        {
            var service = "";
            foreach (var tag in tags)
            {
                if (tag.Key == "service")
                {
                    service = tag.Value as string ?? "";
                }
            }
            switch (service)
            {
                case "table": Interlocked.Add(ref table, value); break;
                case "queue": Interlocked.Add(ref queue, value); break;
                default: Interlocked.Add(ref other, value); break;
            }
        }
    }

    /// <summary>The OS's lifetime peak, plus a peak sampled every 100 ms that a load test can reset at its start.</summary>
    private sealed class MemorySampler : IDisposable
    {
        private readonly Timer timer;
        private long sampledPeak;

        public MemorySampler() => timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(100));

        public void ResetPeak() => Interlocked.Exchange(ref sampledPeak, Environment.WorkingSet);

        public object Snapshot()
        {
            Sample();
            using var process = Process.GetCurrentProcess();
            var gc = GC.GetGCMemoryInfo();
            return new
            {
                workingSetBytes = process.WorkingSet64,
                peakWorkingSetBytes = process.PeakWorkingSet64,
                sampledPeakWorkingSetBytes = Interlocked.Read(ref sampledPeak),
                managedHeapBytes = GC.GetTotalMemory(false),
                gcHeapSizeBytes = gc.HeapSizeBytes,
                threads = process.Threads.Count,
                cpuSeconds = process.TotalProcessorTime.TotalSeconds,
            };
        }

        public void Dispose() => timer.Dispose();

        private void Sample()
        {
            var now = Environment.WorkingSet;
            long seen;
            while (now > (seen = Interlocked.Read(ref sampledPeak)) && Interlocked.CompareExchange(ref sampledPeak, now, seen) != seen)
            {
            }
        }
    }
}
