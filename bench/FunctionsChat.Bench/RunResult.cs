using System.Collections.Concurrent;

namespace FunctionsChat.Bench;

public sealed record Percentiles(double P50, double P95, double P99, double Max, int Count)
{
    public static Percentiles? Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }
        var sorted = values.Order().ToArray();
        double At(double p) => sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
        return new Percentiles(Math.Round(At(0.50), 1), Math.Round(At(0.95), 1), Math.Round(At(0.99), 1), Math.Round(sorted[^1], 1), sorted.Length);
    }
}

public sealed record StorageResult(long Operations, long Table, long Queue, double? PerDeliveredMessage, double PerMemberMinute);

/// <summary>Everything one run measured; written as JSON and printed as a table.</summary>
public sealed record RunResult(
    string Label,
    string Scenario,
    string Url,
    string? SecondUrl,
    string Mode,
    string Room,
    DateTimeOffset FinishedAt,
    double? LoadAverage1Min,
    int Members,
    int Messages,
    double Rate,
    int Senders,
    double DurationSeconds,
    int Accepted,
    long Expected,
    long Delivered,
    long Lost,
    int Duplicates,
    IReadOnlyDictionary<string, int> HttpErrors,
    Percentiles? LatencyMs,
    Percentiles? CrossInstanceLatencyMs,
    Percentiles? SendRequestMs,
    long HttpRequests,
    double HttpRequestsPerMemberMinute,
    StorageResult? Storage,
    long? DevServerPeakWorkingSetBytes,
    double? DevServerCpuSeconds)
{
    public static RunResult From(BenchOptions options, string room, double? load, Tally tally, IReadOnlyList<JoinedMember> members,
        TimeSpan elapsed, long requests, ConcurrentDictionary<int, int> errors, MetricsSample? before, MetricsSample? after)
    {
        var memberMinutes = options.Members * elapsed.TotalMinutes;
        var delivered = tally.Delivered;
        var expected = (long)tally.Accepted * options.Members;
        StorageResult? storage = null;
        if (before is not null && after is not null)
        {
            var used = after.Storage - before.Storage;
            storage = new StorageResult(used.Total, used.Table, used.Queue,
                delivered > 0 ? Math.Round((double)used.Total / delivered, 3) : null,
                Math.Round(used.Total / memberMinutes, 2));
        }
        var onSecond = options.SecondUrl is null ? null : members.Where(m => m.Instance == options.SecondUrl).Select(m => m.Index).ToHashSet();
        var scenario = options.IdleSeconds is null ? "active" : "idle";
        return new RunResult(
            options.Label ?? $"{scenario}-{options.Members}m-{(options.IdleSeconds is { } s ? $"{s}s" : $"{options.Rate}ps")}-{options.Mode.ToString().ToLowerInvariant()}{(options.SecondUrl is null ? "" : "-2x")}",
            scenario,
            options.Url.ToString(),
            options.SecondUrl?.ToString(),
            options.Mode == ReceiveMode.LongPoll ? "longpoll" : "polling",
            room,
            DateTimeOffset.UtcNow,
            load,
            options.Members,
            tally.Accepted,
            options.Rate,
            options.EffectiveSenders,
            Math.Round(elapsed.TotalSeconds, 1),
            tally.Accepted,
            expected,
            delivered,
            Math.Max(0, expected - delivered),
            tally.Duplicates,
            errors.OrderBy(e => e.Key).ToDictionary(e => e.Key.ToString(System.Globalization.CultureInfo.InvariantCulture), e => e.Value),
            Percentiles.Of(tally.Latencies(_ => true)),
            onSecond is null ? null : Percentiles.Of(tally.Latencies(onSecond.Contains)),
            Percentiles.Of(tally.SendDurations()),
            requests,
            Math.Round(requests / memberMinutes, 2),
            storage,
            after?.SampledPeakWorkingSetBytes,
            after is null || before is null ? null : Math.Round(after.CpuSeconds - before.CpuSeconds, 2));
    }
}
