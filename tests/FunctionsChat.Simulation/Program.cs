using System.Globalization;
using FunctionsChat.Simulation.Sim;

namespace FunctionsChat.Simulation;

/// <summary>
/// scripts/simulate.sh: runs seeds of the cluster simulation and prints a report for each failure (at most
/// --reports of them) and, last, one JSON line that sums the run up.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var options = new SimOptions();
        var seeds = 100;
        var first = 1;
        int? only = null;
        var reports = 3;
        var parallelism = Environment.ProcessorCount;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : "";
            switch (args[i])
            {
                case "--seeds": seeds = Int(value); i++; break;
                case "--first-seed": first = Int(value); i++; break;
                case "--seed": only = Int(value); i++; break;
                case "--instances": options = options with { Instances = Int(value) }; i++; break;
                case "--members": options = options with { Members = Int(value) }; i++; break;
                case "--chat-seconds": options = options with { Chat = TimeSpan.FromSeconds(Int(value)) }; i++; break;
                case "--settle-seconds": options = options with { Settle = TimeSpan.FromSeconds(Int(value)) }; i++; break;
                case "--warm-up-seconds": options = options with { WarmUp = TimeSpan.FromSeconds(Int(value)) }; i++; break;
                case "--rate": options = options with { RoomRate = double.Parse(value, CultureInfo.InvariantCulture) }; i++; break;
                case "--second-tabs": options = options with { SecondTabShare = double.Parse(value, CultureInfo.InvariantCulture) }; i++; break;
                case "--operator": options = options with { Operator = value == "on" }; i++; break;
                case "--faults": options = options with { Faults = value == "on" }; i++; break;
                case "--reports": reports = Int(value); i++; break;
                case "--parallel": parallelism = Int(value); i++; break;
                case "--trace":
                    options = options with { KeepWholeTrace = true };
                    break;
                case "--set":
                    var eq = value.IndexOf('=');
                    options = options with { AppSettings = new Dictionary<string, string?>(options.AppSettings) { [value[..eq]] = value[(eq + 1)..] } };
                    i++;
                    break;
                default:
                    Console.Error.WriteLine($"Unknown argument {args[i]}. Use --seeds N --first-seed S --seed S --instances I --members M --chat-seconds T --settle-seconds T --warm-up-seconds T --rate R --second-tabs F --operator on|off --faults on|off --reports R --parallel P --trace --set Chat:Key=value");
                    return 2;
            }
        }
        var list = only is { } s ? [s] : Enumerable.Range(first, seeds).ToList();
        var summary = SeedRunner.Run(list, options, parallelism);
        foreach (var failed in summary.Failed.Take(reports))
        {
            Console.WriteLine(failed.Report());
        }
        if (options.KeepWholeTrace)
        {
            foreach (var line in summary.Results.SelectMany(r => r.WholeTrace ?? []))
            {
                Console.WriteLine(line);
            }
        }
        Console.WriteLine(summary.Json());
        return summary.Failed.Count == 0 ? 0 : 1;
    }

    private static int Int(string text) => int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture);
}
