using System.Diagnostics;
using System.Globalization;

namespace FunctionsChat.Bench;

/// <summary>
/// <c>FunctionsChat.Bench sends --url U [--count 50]</c>: one member in a fresh room sends one message at a time and
/// each send's round trip is timed. Nobody else listens, so this is the cost of the request path itself (for DevServer:
/// the proxy hop and the gRPC round trip to the worker), not of fan-out.
/// </summary>
public static class SendLatency
{
    public static async Task<int> RunAsync(string[] args)
    {
        var url = new Uri(Value(args, "--url") ?? throw new ArgumentException("sends needs --url."));
        var count = int.Parse(Value(args, "--count") ?? "50", CultureInfo.InvariantCulture);
        using var http = new ChatHttp();
        var member = await http.JoinAsync(0, url, $"hop-{Guid.NewGuid():N}"[..20], CancellationToken.None);
        // A few unmeasured sends first: connections, JIT and the room's first writes.
        for (var i = 0; i < 5; i++)
        {
            await http.SendAsync(member, $"warm-up {i}", CancellationToken.None);
        }
        var took = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var started = Stopwatch.GetTimestamp();
            if (!await http.SendAsync(member, $"timed {i}", CancellationToken.None))
            {
                throw new HttpRequestException($"send {i} failed");
            }
            took.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        await http.LeaveAsync(member, CancellationToken.None);
        took.Sort();
        double At(double q) => took[(int)Math.Min(took.Count - 1, Math.Floor(q * took.Count))];
        Console.WriteLine(FormattableString.Invariant($"{count} sends to {url}: p50 {At(0.5):0.0} ms, p95 {At(0.95):0.0} ms, min {took[0]:0.0} ms, max {took[^1]:0.0} ms"));
        return 0;
    }

    private static string? Value(string[] args, string name) =>
        Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
