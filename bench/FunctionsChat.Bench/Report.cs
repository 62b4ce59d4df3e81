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
            ("members / mode", $"{r.Members} / {r.Mode}{Spread(r)}"),
            ("client", r.Client ?? "strict"),
            ("worker processes", r.Workers is not { } w ? "-" : r.InstanceCount > 1 ? $"{w} behind the {r.InstanceCount} URLs" : w > 1 ? $"{w} (DevServer sends each invocation to any of them)" : "1"),
            ("duration", Invariant($"{r.DurationSeconds:F1} s")),
        };
        if (r.Scenario == "active")
        {
            rows.Add(("messages accepted", Invariant($"{r.Accepted} at {r.Rate}/s from {r.Senders} senders")));
            rows.Add(("delivered / expected", $"{r.Delivered} / {r.Expected}"));
            rows.Add(("lost / duplicates", $"{r.Lost} / {r.Duplicates}"));
            rows.Add(("latency", Ms(r.LatencyMs)));
            rows.Add(("send request duration", Ms(r.SendRequestMs)));
            if (r.LatencyByInstance is { } byInstance)
            {
                rows.Add(("cross-instance latency", Ms(r.CrossInstanceLatencyMs)));
                foreach (var i in byInstance)
                {
                    rows.Add(($"  members on {new Uri(i.Url).Authority}{(i.Senders ? " (senders')" : "")}", $"{i.Members}: {Ms(i.LatencyMs)}"));
                }
            }
            else if (r.InstanceCount > 1)
            {
                rows.Add(("cross-instance latency", "- (random spread: no member stays on one instance)"));
            }
            if (r.Page is { } p)
            {
                rows.Add(("lost after gap fill", $"{p.LostAfterGapFill} (accepted, never shown){(p.ShownThoughSendFailed > 0 ? $"; {p.ShownThoughSendFailed} shown whose send failed" : "")}"));
                rows.Add(("duplicates shown", $"{p.DuplicatesShown} (dropped by id: {p.PollDuplicatesDroppedById} from polls, {p.OverlapDroppedById} of fill overlap)"));
                rows.Add(("gap fills", $"{p.GapFills} by {p.MembersThatFilled} members ({p.GapFillHistoryReads} history reads); {p.MessagesFirstSeenInFill} deliveries first seen in one"));
                rows.Add(("latency of those", Ms(p.FillLatencyMs)));
                rows.Add(("completeness fills", $"{p.CompletenessFills} (an answer named a message not shown 2 s later); they found {p.CompletenessFillFound}"));
                rows.Add(("longest delay (send → shown)", p.LongestDelayMs is { } d ? Invariant($"{d:F0} ms") : "-"));
                rows.Add(("deliveries later than 5 s / 35 s", $"{p.DeliveriesLaterThan5s} / {p.DeliveriesLaterThan35s}"));
                rows.Add(("API duplicate copies", $"{p.ApiDuplicateCopies} (a poll brought again what a poll had brought)"));
                rows.Add(("longest gap (failure → filled)", p.LongestGapMs is { } g ? Invariant($"{g:F0} ms") : "-"));
                rows.Add(("membership lost (401/403/410)", $"{p.MembershipLost} (kept, not rejoined)"));
                rows.Add(("send retries / given up", $"{p.SendRetries} / {p.SendsGivenUp}"));
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

    private static string Spread(RunResult r) => r.InstanceCount == 1 ? "" : r.Spread == "random"
        ? $" spread at random over {r.InstanceCount} instances"
        : $" pinned to {r.InstanceCount} instances";

    public static string Write(RunResult r, string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"{r.Label}-{r.FinishedAt:yyyyMMdd-HHmmss}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(r, Json));
        return path;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
