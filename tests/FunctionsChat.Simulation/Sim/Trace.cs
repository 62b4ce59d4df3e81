using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FunctionsChat.Simulation.Sim;

/// <summary>
/// What happened, one line per event, stamped with simulated time (seconds since the start, to the tick). The last
/// <see cref="Keep"/> lines are kept for a failure report; every line goes into a hash, so two runs of one seed can
/// be compared whole. Random ids (user ids, queue names) are shown as labels given in order of first appearance.
/// </summary>
public sealed class Trace(SimClock clock, bool keepAll = false, int keep = 300)
{
    private readonly Queue<string> last = new();
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly Dictionary<string, string> labels = new(StringComparer.Ordinal);

    public int Keep => keep;

    public List<string>? All { get; } = keepAll ? [] : null;

    public long Lines { get; private set; }

    public void Add(string who, string text)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{clock.Elapsed.Ticks / (double)TimeSpan.TicksPerSecond,12:0.0000000} {who,-5} {text}");
        Lines++;
        hash.AppendData(Encoding.UTF8.GetBytes(line + "\n"));
        All?.Add(line);
        last.Enqueue(line);
        if (last.Count > keep)
        {
            last.Dequeue();
        }
    }

    public IReadOnlyCollection<string> Last => last;

    /// <summary>The hash of every line so far (call once, at the end).</summary>
    public string Hash() => Convert.ToHexStringLower(hash.GetHashAndReset());

    /// <summary>A short, stable name for a random id: its order of first appearance.</summary>
    public string Label(string prefix, string id)
    {
        if (!labels.TryGetValue(id, out var label))
        {
            labels[id] = label = prefix + labels.Count.ToString(CultureInfo.InvariantCulture);
        }
        return label;
    }

    public bool TryLabel(string id, out string label) => labels.TryGetValue(id, out label!);
}
