using System.Globalization;
using System.Text;
using System.Text.Json;

namespace FunctionsChat.Bench;

/// <summary>
/// <c>chart --out FILE.svg RESULT.json...</c>: two panels from active single-instance runs (one URL, one worker, strict
/// client), by member count — delivery latency (p50, p99) and storage operations per delivered message, one line per
/// receive mode.
/// </summary>
public static class Chart
{
    private const int PanelWidth = 420;
    private const int PanelHeight = 260;
    private const int Margin = 55;
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"];

    public static int Run(string[] args)
    {
        var outIndex = Array.IndexOf(args, "--out");
        if (outIndex < 0 || outIndex + 1 >= args.Length)
        {
            throw new ArgumentException("chart needs --out FILE.svg and result files.");
        }
        var output = args[outIndex + 1];
        var byWorkers = args.Contains("--by-workers");
        var files = args.Where((a, i) => i != outIndex && i != outIndex + 1 && a != "--by-workers");
        if (byWorkers)
        {
            return ByWorkers(output, files.Select(f => JsonSerializer.Deserialize<RunResult>(File.ReadAllText(f), Report.Json)!).ToList());
        }
        var runs = files
            .Select(f => JsonSerializer.Deserialize<RunResult>(File.ReadAllText(f), Report.Json)!)
            .Where(r => r.Scenario == "active" && r.InstanceCount == 1 && r.Client is (null or "strict") && r.Workers is (null or 1) && r.LatencyMs is not null)
            .ToList();
        var latency = new List<(string, List<(double, double)>)>();
        var storage = new List<(string, List<(double, double)>)>();
        foreach (var mode in runs.GroupBy(r => r.Mode))
        {
            // The latest run per member count.
            var points = mode.GroupBy(r => r.Members).Select(g => g.OrderBy(r => r.FinishedAt).Last()).OrderBy(r => r.Members).ToList();
            latency.Add(($"{mode.Key} p50", points.Select(r => ((double)r.Members, r.LatencyMs!.P50)).ToList()));
            latency.Add(($"{mode.Key} p99", points.Select(r => ((double)r.Members, r.LatencyMs!.P99)).ToList()));
            storage.Add(($"{mode.Key}", points.Where(r => r.Storage?.PerDeliveredMessage is not null).Select(r => ((double)r.Members, r.Storage!.PerDeliveredMessage!.Value)).ToList()));
        }
        var svg = new StringBuilder();
        var width = 2 * (PanelWidth + 2 * Margin);
        var height = PanelHeight + 2 * Margin + 20;
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        Panel(svg, 0, "Delivery latency (ms) vs members", latency);
        Panel(svg, PanelWidth + 2 * Margin, "Storage operations per delivered message vs members", storage);
        svg.Append("</svg>\n");
        File.WriteAllText(output, svg.ToString());
        Console.WriteLine($"Chart of {runs.Count} runs: {output}");
        return 0;
    }

    /// <summary>The scaled-out shape: p95 latency and storage operations per delivered message against the worker count, one line per load.</summary>
    private static int ByWorkers(string output, List<RunResult> all)
    {
        var runs = all.Where(r => r.Scenario == "active" && r.Client is (null or "strict") && r.LatencyMs is not null).ToList();
        var latency = new List<(string, List<(double, double)>)>();
        var storage = new List<(string, List<(double, double)>)>();
        foreach (var load in runs.GroupBy(r => Invariant($"{r.Members} m × {r.Rate:0.#}/s")).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var points = load.GroupBy(r => r.Workers ?? 1).Select(g => g.OrderBy(r => r.FinishedAt).Last()).OrderBy(r => r.Workers ?? 1).ToList();
            latency.Add(($"{load.Key} p95", points.Select(r => ((double)(r.Workers ?? 1), r.LatencyMs!.P95)).ToList()));
            storage.Add((load.Key, points.Where(r => r.Storage?.PerDeliveredMessage is not null).Select(r => ((double)(r.Workers ?? 1), r.Storage!.PerDeliveredMessage!.Value)).ToList()));
        }
        var svg = new StringBuilder();
        var width = 2 * (PanelWidth + 2 * Margin);
        var height = PanelHeight + 2 * Margin + 20;
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n"));
        svg.Append(Invariant($"<rect width=\"{width}\" height=\"{height}\" fill=\"white\"/>\n"));
        Panel(svg, 0, "Delivery latency p95 (ms) vs worker processes", latency, "worker processes");
        Panel(svg, PanelWidth + 2 * Margin, "Storage operations per delivered message vs workers", storage, "worker processes");
        svg.Append("</svg>\n");
        File.WriteAllText(output, svg.ToString());
        Console.WriteLine($"Chart of {runs.Count} runs by worker count: {output}");
        return 0;
    }

    private static void Panel(StringBuilder svg, double left, string title, List<(string Name, List<(double X, double Y)> Points)> series, string xLabel = "members")
    {
        var all = series.SelectMany(s => s.Points).ToList();
        var maxX = all.Count == 0 ? 1 : all.Max(p => p.X) * 1.1;
        var maxY = all.Count == 0 ? 1 : Nice(all.Max(p => p.Y) * 1.15);
        var x0 = left + Margin;
        var y0 = Margin + PanelHeight;
        double X(double x) => x0 + x / maxX * PanelWidth;
        double Y(double y) => y0 - y / maxY * PanelHeight;
        svg.Append(Invariant($"<text x=\"{x0}\" y=\"{Margin - 20}\" font-weight=\"bold\">{title}</text>\n"));
        svg.Append(Invariant($"<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0 + PanelWidth}\" y2=\"{y0}\" stroke=\"black\"/><line x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{Margin}\" stroke=\"black\"/>\n"));
        for (var i = 0; i <= 4; i++)
        {
            var v = maxY * i / 4;
            svg.Append(Invariant($"<line x1=\"{x0}\" y1=\"{Y(v):F1}\" x2=\"{x0 + PanelWidth}\" y2=\"{Y(v):F1}\" stroke=\"#ddd\"/><text x=\"{x0 - 6}\" y=\"{Y(v) + 4:F1}\" text-anchor=\"end\">{v:0.##}</text>\n"));
        }
        foreach (var x in all.Select(p => p.X).Distinct())
        {
            svg.Append(Invariant($"<text x=\"{X(x):F1}\" y=\"{y0 + 16}\" text-anchor=\"middle\">{x:G4}</text>\n"));
        }
        svg.Append(Invariant($"<text x=\"{x0 + PanelWidth / 2}\" y=\"{y0 + 34}\" text-anchor=\"middle\">{xLabel}</text>\n"));
        for (var s = 0; s < series.Count; s++)
        {
            var color = Colors[s % Colors.Length];
            var points = string.Join(" ", series[s].Points.Select(p => Invariant($"{X(p.X):F1},{Y(p.Y):F1}")));
            svg.Append(Invariant($"<polyline points=\"{points}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"/>\n"));
            foreach (var p in series[s].Points)
            {
                svg.Append(Invariant($"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y):F1}\" r=\"3\" fill=\"{color}\"><title>{series[s].Name}: {p.Y:0.###} at {p.X} {xLabel}</title></circle>\n"));
            }
            svg.Append(Invariant($"<rect x=\"{x0 + 10}\" y=\"{Margin + 8 + s * 16}\" width=\"10\" height=\"10\" fill=\"{color}\"/><text x=\"{x0 + 25}\" y=\"{Margin + 17 + s * 16}\">{series[s].Name}</text>\n"));
        }
    }

    private static double Nice(double value)
    {
        if (value <= 0)
        {
            return 1;
        }
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(value)));
        return new[] { 1, 2, 2.5, 5, 10 }.Select(m => m * magnitude).First(v => v >= value);
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
