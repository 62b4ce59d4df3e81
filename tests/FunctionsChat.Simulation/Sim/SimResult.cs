using System.Globalization;
using System.Text;

namespace FunctionsChat.Simulation.Sim;

/// <summary>What one run found: the invariants broken (none means it passed) and its figures.</summary>
public sealed record SimResult
{
    public required int Seed { get; init; }

    public required IReadOnlyList<string> Failures { get; init; }

    public required IReadOnlyList<string> TraceTail { get; init; }

    public required string TraceHash { get; init; }

    public List<string>? WholeTrace { get; init; }

    public bool Passed => Failures.Count == 0;

    public int Accepted { get; init; }

    public int GaveUp { get; init; }

    /// <summary>(page, accepted message) pairs that had to be shown and were.</summary>
    public int Deliveries { get; init; }

    /// <summary>(page, accepted message) pairs that had to be shown and never were.</summary>
    public int Lost { get; init; }

    public int Duplicates { get; init; }

    public int Fills { get; init; }

    public int ViaFill { get; init; }

    public int Status503 { get; init; }

    public int Status0 { get; init; }

    public int Requests { get; init; }

    public int Invocations { get; init; }

    public long StorageOperations { get; init; }

    public int StorageFailures { get; init; }

    public int AmbiguousWrites { get; init; }

    public int Instances { get; init; }

    public int Pages { get; init; }

    public double PageMinutes { get; init; }

    /// <summary>Deliveries of messages accepted after the warm-up: what latency and operations per delivery are over.</summary>
    public int MeasuredDeliveries { get; init; }

    /// <summary><see cref="ActiveOperations"/> by port call.</summary>
    public Dictionary<string, long> ActiveOperationsByCall { get; init; } = [];

    /// <summary><see cref="IdleOperations"/> by port call.</summary>
    public Dictionary<string, long> IdleOperationsByCall { get; init; } = [];

    /// <summary>Storage operations from the end of the warm-up to the start of the idle window.</summary>
    public long ActiveOperations { get; init; }

    public long IdleOperations { get; init; }

    public double IdlePageMinutes { get; init; }

    /// <summary>Sorted: from the message's acceptance (its sentAt) to its showing, per page, in simulated ms.</summary>
    public required List<double> LatencyMs { get; init; }

    public long Steps { get; init; }

    /// <summary>Work the run handed to the thread pool (see PoolWatch): a failure when not 0.</summary>
    public int PoolEscapes { get; init; }

    public string Report()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Seed {Seed} failed (run it again: ./scripts/simulate.sh --seed {Seed} ...):");
        foreach (var failure in Failures)
        {
            text.AppendLine("  - " + failure);
        }
        text.AppendLine(CultureInfo.InvariantCulture, $"The last {TraceTail.Count} events (seconds of simulated time, who, what):");
        foreach (var line in TraceTail)
        {
            text.AppendLine("  " + line);
        }
        return text.ToString();
    }

    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1 < 0 ? 0 : (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];
}
