using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace FunctionsChat.Simulation.Sim;

/// <summary>Runs many seeds (in parallel, each run on one thread) and sums them up.</summary>
public static class SeedRunner
{
    public static Summary Run(IEnumerable<int> seeds, SimOptions options, int parallelism)
    {
        var watch = Stopwatch.StartNew();
        var results = new ConcurrentBag<SimResult>();
        var queue = new ConcurrentQueue<int>(seeds);
        var errors = new ConcurrentBag<Exception>();
        // Each run on a thread of its own, as many at once as asked.
        var runners = Enumerable.Range(0, Math.Max(1, parallelism)).Select(_ => Task.Factory.StartNew(() =>
        {
            while (queue.TryDequeue(out var seed))
            {
                try
                {
                    results.Add(new Cluster(seed, options).Run());
                }
                catch (Exception e)
                {
                    errors.Add(new InvalidOperationException($"Seed {seed} threw.", e));
                }
            }
        }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, TaskScheduler.Default)).ToArray();
        // Waited for through a promise, so that no runner is inlined on the calling thread (a test's thread is not a
        // pool thread, and its synchronization context is xUnit's).
        Task.WhenAll(runners).ContinueWith(static _ => { }, TaskScheduler.Default).Wait();
        if (!errors.IsEmpty)
        {
            throw new AggregateException(errors);
        }
        return new Summary(results.OrderBy(r => r.Seed).ToList(), watch.Elapsed, options);
    }

    public sealed record Summary(IReadOnlyList<SimResult> Results, TimeSpan Elapsed, SimOptions Options)
    {
        public IReadOnlyList<SimResult> Failed => Results.Where(r => !r.Passed).ToList();

        /// <summary>One JSON line: seeds run, failures with their seeds, lost, duplicates and the figures.</summary>
        public string Json()
        {
            var latencies = Results.SelectMany(r => r.LatencyMs).Order().ToList();
            var deliveries = Results.Sum(r => r.Deliveries);
            var measured = Results.Sum(r => r.MeasuredDeliveries);
            var idleMinutes = Results.Sum(r => r.IdlePageMinutes);
            var pageMinutes = Results.Sum(r => r.PageMinutes);
            return JsonSerializer.Serialize(new
            {
                seeds = Results.Count,
                instances = Options.Instances,
                members = Options.Members,
                rate = Options.RoomRate,
                pages = Results.Sum(r => r.Pages),
                faults = Options.Faults ? "on" : "off",
                failures = Failed.Count,
                failedSeeds = Failed.Select(r => r.Seed).ToList(),
                failureKinds = Failed.SelectMany(r => r.Failures.Select(Kind)).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count()),
                accepted = Results.Sum(r => r.Accepted),
                deliveries,
                lost = Results.Sum(r => r.Lost),
                duplicates = Results.Sum(r => r.Duplicates),
                shownViaGapFill = Results.Sum(r => r.ViaFill),
                status503 = Results.Sum(r => r.Status503),
                connectionsDropped = Results.Sum(r => r.Status0),
                latencyMs = new
                {
                    p50 = Round(SimResult.Percentile(latencies, 50)),
                    p95 = Round(SimResult.Percentile(latencies, 95)),
                    p99 = Round(SimResult.Percentile(latencies, 99)),
                    max = Round(latencies.Count == 0 ? double.NaN : latencies[^1]),
                    over5s = latencies.Count(l => l > 5_000),
                    over35s = latencies.Count(l => l > 35_000),
                },
                storageOperationsPerDelivery = Round(measured == 0 ? double.NaN : Results.Sum(r => r.ActiveOperations) / (double)measured),
                storageOperationsPerIdleMemberMinute = Round(idleMinutes == 0 ? double.NaN : Results.Sum(r => r.IdleOperations) / idleMinutes),
                perDeliveryByCall = ByCall(r => r.ActiveOperationsByCall, measured),
                perIdleMemberMinuteByCall = ByCall(r => r.IdleOperationsByCall, idleMinutes),
                executionsPerMemberMinute = Round(pageMinutes == 0 ? double.NaN : Results.Sum(r => r.Invocations) / pageMinutes),
                storageFailures = Results.Sum(r => r.StorageFailures),
                steps = Results.Sum(r => r.Steps),
                poolEscapes = Results.Sum(r => r.PoolEscapes),
                ambiguousWrites = Results.Sum(r => r.AmbiguousWrites),
                wallSeconds = Round(Elapsed.TotalSeconds),
                traceHashes = Results.Count <= 5 ? Results.Select(r => r.TraceHash[..16]).ToList() : null,
            });
        }

        /// <summary>Operations by port call per unit, the largest first; calls under 0.005 left out.</summary>
        private Dictionary<string, double> ByCall(Func<SimResult, Dictionary<string, long>> calls, double per) =>
            per == 0 ? [] : Results.SelectMany(calls).GroupBy(c => c.Key, StringComparer.Ordinal)
                .Select(g => (g.Key, Value: Math.Round(g.Sum(c => c.Value) / per, 3)))
                .Where(c => c.Value >= 0.005).OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal)
                .ToDictionary(c => c.Key, c => c.Value);

        private static double? Round(double value) => double.IsNaN(value) ? null : Math.Round(value, 2);

        private static string Kind(string failure)
        {
            var colon = failure.IndexOf(':');
            var kind = colon < 0 ? failure : failure[..colon];
            // Without the count it starts with ("12 accepted message(s) ..."), so that failures group by kind.
            return System.Text.RegularExpressions.Regex.Replace(kind, @"^\d+ ", "").Replace("(s)", "s", StringComparison.Ordinal);
        }
    }
}
