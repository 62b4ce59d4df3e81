using System.Text.Json;

namespace FunctionsChat.Bench;

public sealed record StorageCount(long Table, long Queue, long Total)
{
    public static StorageCount operator -(StorageCount a, StorageCount b) => new(a.Table - b.Table, a.Queue - b.Queue, a.Total - b.Total);

    public static StorageCount operator +(StorageCount a, StorageCount b) => new(a.Table + b.Table, a.Queue + b.Queue, a.Total + b.Total);
}

/// <summary><paramref name="Workers"/>: the worker processes running (null from a DevServer that does not say).</summary>
public sealed record MetricsSample(StorageCount Storage, long SampledPeakWorkingSetBytes, long PeakWorkingSetBytes, double CpuSeconds, int? Workers);

/// <summary>DevServer's development-only <c>/_dev/metrics</c>; absent (null) on a deployed app.</summary>
public static class DevMetrics
{
    public const string Path = "_dev/metrics";

    public static async Task<MetricsSample?> ReadAsync(ChatHttp http, Uri instance, CancellationToken cancellationToken)
    {
        JsonElement? json;
        try
        {
            json = await http.GetJsonAsync(new Uri(instance, Path), cancellationToken);
        }
        catch (HttpRequestException)
        {
            return null;
        }
        if (json is not { } root)
        {
            return null;
        }
        var storage = root.GetProperty("storageOperations");
        var process = root.GetProperty("process");
        return new MetricsSample(
            new StorageCount(storage.GetProperty("table").GetInt64(), storage.GetProperty("queue").GetInt64(), storage.GetProperty("total").GetInt64()),
            process.GetProperty("sampledPeakWorkingSetBytes").GetInt64(),
            process.GetProperty("peakWorkingSetBytes").GetInt64(),
            process.GetProperty("cpuSeconds").GetDouble(),
            process.TryGetProperty("workers", out var workers) ? workers.GetInt32() : null);
    }

    /// <summary>
    /// The worker processes export their storage counts to DevServer once a second, so a read reflects the work up to
    /// a second before it. Each read waits out that lag first; both ends of a measured window move by the same
    /// amount, so its length stays the run's and the run's last operations are in it.
    /// </summary>
    public static readonly TimeSpan ExportLag = TimeSpan.FromSeconds(1.5);

    /// <summary>Summed over the instances; null when any instance has no diagnostics endpoint.</summary>
    public static async Task<MetricsSample?> ReadAllAsync(ChatHttp http, IReadOnlyList<Uri> instances, CancellationToken cancellationToken)
    {
        await Task.Delay(ExportLag, cancellationToken);
        var samples = await Task.WhenAll(instances.Select(i => ReadAsync(http, i, cancellationToken)));
        if (samples.Any(s => s is null))
        {
            return null;
        }
        return samples.Aggregate((a, b) => new MetricsSample(
            a!.Storage + b!.Storage,
            Math.Max(a.SampledPeakWorkingSetBytes, b.SampledPeakWorkingSetBytes),
            Math.Max(a.PeakWorkingSetBytes, b.PeakWorkingSetBytes),
            a.CpuSeconds + b.CpuSeconds,
            a.Workers + b.Workers));
    }

    public static Task ResetPeakAsync(ChatHttp http, IReadOnlyList<Uri> instances, CancellationToken cancellationToken) =>
        Task.WhenAll(instances.Select(async i =>
        {
            try
            {
                await http.PostAsync(new Uri(i, Path + "/reset-peak"), cancellationToken);
            }
            catch (HttpRequestException)
            {
            }
        }));
}
