using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Messages;

/// <summary>
/// Sliding ten-second window of sends per member. Counted per instance: with N instances a member could send up to
/// N times the limit, which is acceptable for flood control and costs no storage calls.
/// </summary>
public sealed class SendRateLimiter(TimeProvider clock, IOptions<ChatOptions> options)
{
    private static readonly TimeSpan Window = TimeSpan.FromSeconds(10);
    private const int PruneThreshold = 10_000;
    private readonly ConcurrentDictionary<string, Queue<DateTimeOffset>> sends = new(StringComparer.Ordinal);
    private readonly int limit = options.Value.SendLimitPer10Seconds;

    /// <summary>Counts a send, or returns how long until one is allowed.</summary>
    public TimeSpan? TryAcquire(string room, string userId)
    {
        var now = clock.GetUtcNow();
        if (sends.Count > PruneThreshold)
        {
            PruneIdle(now);
        }
        var times = sends.GetOrAdd($"{room}/{userId}", _ => new Queue<DateTimeOffset>());
        lock (times)
        {
            while (times.Count > 0 && now - times.Peek() >= Window)
            {
                times.Dequeue();
            }
            if (times.Count >= limit)
            {
                return times.Peek() + Window - now;
            }
            times.Enqueue(now);
            return null;
        }
    }

    private void PruneIdle(DateTimeOffset now)
    {
        foreach (var (key, times) in sends)
        {
            lock (times)
            {
                if (times.Count == 0 || now - times.Last() >= Window)
                {
                    sends.TryRemove(key, out _);
                }
            }
        }
    }
}
