using System.Globalization;
using System.Text.Json;

namespace FunctionsChat.Bench;

public static class Report
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static void Print(RunResult r, TextWriter output)
    {
        string Ms(Percentiles? p) => p is null ? "-" : Invariant($"p50 {p.P50:F0} / p95 {p.P95:F0} / p99 {p.P99:F0} / max {p.Max:F0} ms");
        var rows = new List<(string, string)>
        {
            ("run", r.Label),
            ("load (1-min avg at start)", r.LoadAverage1Min?.ToString("F2", CultureInfo.InvariantCulture) ?? "-"),
            ("members / mode", $"{r.Members} / {r.Mode}{(r.SecondUrl is null ? "" : " on 2 instances")}"),
            ("duration", Invariant($"{r.DurationSeconds:F1} s")),
        };
        if (r.Scenario == "active")
        {
            rows.Add(("messages accepted", Invariant($"{r.Accepted} at {r.Rate}/s from {r.Senders} senders")));
            rows.Add(("delivered / expected", $"{r.Delivered} / {r.Expected}"));
            rows.Add(("lost / duplicates", $"{r.Lost} / {r.Duplicates}"));
            rows.Add(("latency", Ms(r.LatencyMs)));
            rows.Add(("send request duration", Ms(r.SendRequestMs)));
            if (r.SecondUrl is not null)
            {
                rows.Add(("cross-instance latency", Ms(r.CrossInstanceLatencyMs)));
            }
        }
        rows.Add(("HTTP errors", r.HttpErrors.Count == 0 ? "0" : string.Join(", ", r.HttpErrors.Select(e => $"{(e.Key == "0" ? "no answer" : e.Key)}: {e.Value}"))));
        rows.Add(("HTTP requests / member-minute", Invariant($"{r.HttpRequestsPerMemberMinute:F2} ({r.HttpRequests} requests)")));
        if (r.Storage is { } s)
        {
            rows.Add(("storage operations", $"{s.Operations} (table {s.Table}, queue {s.Queue})"));
            if (s.PerDeliveredMessage is { } per)
            {
                rows.Add(("storage ops / delivered message", Invariant($"{per:F3}")));
            }
            rows.Add(("storage ops / member-minute", Invariant($"{s.PerMemberMinute:F2}")));
        }
        else
        {
            rows.Add(("storage operations", "- (no /_dev/metrics: not a DevServer in Development)"));
        }
        rows.Add(("app peak working set (workers)", r.DevServerPeakWorkingSetBytes is { } peak ? Invariant($"{peak / 1048576.0:F0} MiB") : "-"));
        rows.Add(("app CPU during run (workers)", r.DevServerCpuSeconds is { } cpu ? Invariant($"{cpu:F1} s") : "-"));
        var width = rows.Max(x => x.Item1.Length);
        output.WriteLine(new string('-', width + 50));
        foreach (var (name, value) in rows)
        {
            output.WriteLine($"{name.PadRight(width)}  {value}");
        }
        output.WriteLine(new string('-', width + 50));
    }

    public static string Write(RunResult r, string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{r.Label}-{r.FinishedAt:yyyyMMdd-HHmmss}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(r, Json));
        return path;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
