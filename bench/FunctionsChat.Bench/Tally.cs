using System.Diagnostics;
using System.Globalization;

namespace FunctionsChat.Bench;

/// <summary>
/// What happened to each bench message: when its send started, whether the server accepted it, and when it reached each
/// member. Bench messages carry "{tag} {number}" as text, so a message can be matched before its send request returns.
/// </summary>
public sealed class Tally(string tag, int members, int messages, bool traceDuplicates = false)
{
    private readonly long[] sendStarted = new long[messages];
    private readonly bool[] accepted = new bool[messages];
    private readonly double[] sendMilliseconds = new double[messages];
    private readonly HashSet<int>[] received = Enumerable.Range(0, members).Select(_ => new HashSet<int>()).ToArray();
    private readonly List<(int Member, double Milliseconds, bool ViaFill)> latencies = [];
    private int duplicates;
    private long lastArrival;

    public static long Now => Stopwatch.GetTimestamp();

    public string TextOf(int number) => string.Create(CultureInfo.InvariantCulture, $"{tag} {number}");

    public int Accepted { get { lock (accepted) { return accepted.Count(a => a); } } }

    public int Duplicates => Volatile.Read(ref duplicates);

    public int Delivered { get { lock (latencies) { return latencies.Count; } } }

    public long LastArrival => Interlocked.Read(ref lastArrival);

    public void SendStarting(int number) => sendStarted[number] = Now;

    public void SendDone(int number, bool ok)
    {
        lock (accepted)
        {
            accepted[number] = ok;
            sendMilliseconds[number] = Stopwatch.GetElapsedTime(sendStarted[number]).TotalMilliseconds;
        }
    }

    /// <summary>How long the accepted send requests took (the server returns after its fan-out).</summary>
    public IReadOnlyList<double> SendDurations()
    {
        lock (accepted)
        {
            return sendMilliseconds.Where((_, i) => accepted[i]).ToList();
        }
    }

    /// <summary>
    /// Records arrivals at one member; messages that are not this run's bench messages are ignored. <paramref name="viaFill"/>:
    /// they came from a page-like member's gap fill rather than from a poll.
    /// </summary>
    public void Arrived(int member, IEnumerable<string> texts, bool viaFill = false)
    {
        var now = Now;
        foreach (var text in texts)
        {
            if (!text.StartsWith(tag + " ", StringComparison.Ordinal) ||
                !int.TryParse(text.AsSpan(tag.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var number) ||
                number >= messages)
            {
                continue;
            }
            bool first;
            lock (received[member])
            {
                first = received[member].Add(number);
            }
            if (!first)
            {
                if (traceDuplicates)
                {
                    Console.Error.WriteLine($"[dup] member {member} message {number}");
                }
                Interlocked.Increment(ref duplicates);
                continue;
            }
            lock (latencies)
            {
                latencies.Add((member, Stopwatch.GetElapsedTime(sendStarted[number], now).TotalMilliseconds, viaFill));
            }
            Interlocked.Exchange(ref lastArrival, now);
        }
    }

    public IReadOnlyList<double> Latencies(Func<int, bool> memberFilter)
    {
        lock (latencies)
        {
            return latencies.Where(l => memberFilter(l.Member)).Select(l => l.Milliseconds).ToList();
        }
    }

    public IReadOnlyList<double> FillLatencies()
    {
        lock (latencies)
        {
            return latencies.Where(l => l.ViaFill).Select(l => l.Milliseconds).ToList();
        }
    }

    /// <summary>(member, message) pairs of accepted messages that the member has not received.</summary>
    public long Missing() => CountPairs(wasAccepted: true, wasReceived: false);

    /// <summary>(member, message) pairs received although the send was not accepted (it failed after the message was stored).</summary>
    public long ShownThoughSendFailed() => CountPairs(wasAccepted: false, wasReceived: true);

    private long CountPairs(bool wasAccepted, bool wasReceived)
    {
        int[] numbers;
        lock (accepted)
        {
            numbers = Enumerable.Range(0, messages).Where(i => accepted[i] == wasAccepted).ToArray();
        }
        long count = 0;
        foreach (var set in received)
        {
            lock (set)
            {
                count += numbers.Count(n => set.Contains(n) == wasReceived);
            }
        }
        return count;
    }
}
