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

/// <summary>Delivery latency to the members pinned to one instance; the senders are on the first.</summary>
public sealed record InstanceLatency(string Url, int Members, bool Senders, Percentiles? LatencyMs);

public sealed record StorageResult(long Operations, long Table, long Queue, double? PerDeliveredMessage, double PerMemberMinute);

/// <summary>
/// Everything one run measured; written as JSON and printed as a table. <see cref="SecondUrl"/> is set for a list of
/// exactly two URLs, as older result files (before <see cref="Urls"/>) have it. <see cref="CrossInstanceLatencyMs"/>
/// and <see cref="LatencyByInstance"/> exist only for pinned members on several instances: with a random spread a
/// member has no instance. <see cref="Workers"/>: the worker processes behind all the URLs (DevServer's count).
/// </summary>
public sealed record RunResult(
    string Label,
    string Scenario,
    string Url,
    string? SecondUrl,
    IReadOnlyList<string>? Urls,
    string? Spread,
    string? Client,
    int? Workers,
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
    IReadOnlyList<InstanceLatency>? LatencyByInstance,
    Percentiles? SendRequestMs,
    long HttpRequests,
    double HttpRequestsPerMemberMinute,
    StorageResult? Storage,
    long? DevServerPeakWorkingSetBytes,
    double? DevServerCpuSeconds,
    PageResult? Page)
{
    /// <summary>Older files have no <see cref="Urls"/>: one instance, or two when <see cref="SecondUrl"/> is set.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public int InstanceCount => Urls?.Count ?? (SecondUrl is null ? 1 : 2);

    public static RunResult From(BenchOptions options, string room, double? load, Tally tally, IReadOnlyList<JoinedMember> members,
        TimeSpan elapsed, long requests, ConcurrentDictionary<int, int> errors, MetricsSample? before, MetricsSample? after, PageStats? page)
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
        var pinnedToSeveral = options.Spread == Bench.Spread.Pinned && options.Urls.Count > 1;
        var offFirst = pinnedToSeveral ? members.Where(m => m.Instance != options.Url).Select(m => m.Index).ToHashSet() : null;
        var byInstance = pinnedToSeveral
            ? options.Urls.Select(u =>
            {
                var on = members.Where(m => m.Instance == u).Select(m => m.Index).ToHashSet();
                return new InstanceLatency(u.ToString(), on.Count, u == options.Url, Percentiles.Of(tally.Latencies(on.Contains)));
            }).ToList()
            : null;
        int? workers = before?.Workers is { } w0 && after?.Workers is { } w1 ? Math.Max(w0, w1) : null;
        var scenario = options.IdleSeconds is null ? "active" : "idle";
        var spread = options.Urls.Count == 1 ? "" : options.Spread == Bench.Spread.Pinned ? $"-{options.Urls.Count}x" : $"-{options.Urls.Count}x-random";
        return new RunResult(
            options.Label ?? $"{scenario}-{options.Members}m-{(options.IdleSeconds is { } s ? $"{s}s" : $"{options.Rate}ps")}-{options.Mode.ToString().ToLowerInvariant()}{spread}"
                + (workers > options.Urls.Count ? $"-{workers}w" : "") + (page is null ? "" : "-page"),
            scenario,
            options.Url.ToString(),
            options.Urls.Count == 2 ? options.Urls[1].ToString() : null,
            options.Urls.Select(u => u.ToString()).ToList(),
            options.Spread.ToString().ToLowerInvariant(),
            options.Client.ToString().ToLowerInvariant(),
            workers,
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
            offFirst is null ? null : Percentiles.Of(tally.Latencies(offFirst.Contains)),
            byInstance,
            Percentiles.Of(tally.SendDurations()),
            requests,
            Math.Round(requests / memberMinutes, 2),
            storage,
            after?.SampledPeakWorkingSetBytes,
            after is null || before is null ? null : Math.Round(after.CpuSeconds - before.CpuSeconds, 2),
            page?.ToResult(tally));
    }
}
