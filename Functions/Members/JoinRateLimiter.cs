using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Members;

/// <summary>
/// Joins per client address, counted per instance like the send limit (with N instances an address could join up
/// to N times as often; no storage calls). Each address may join <see cref="ChatOptions.JoinLimitPerMinute"/> times
/// at once and then once every minute / limit: every join pushes the moment its allowance is whole again a
/// minute / limit further, and a join that would push it more than a minute ahead is refused. One timestamp per
/// address; the table holds at most <see cref="MaxTrackedAddresses"/> of them.
/// </summary>
public sealed class JoinRateLimiter(TimeProvider clock, IOptions<ChatOptions> options)
{
    internal const int MaxTrackedAddresses = 20_000;
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly TimeSpan interval = Window / options.Value.JoinLimitPerMinute;
    private readonly ConcurrentDictionary<string, DateTimeOffset> wholeAgainAt = new(StringComparer.Ordinal);
    private int pruning;

    internal int TrackedAddresses => wholeAgainAt.Count;

    /// <summary>Counts a join from <paramref name="address"/>, or returns how long until one is allowed.</summary>
    public TimeSpan? TryAcquire(string address)
    {
        var now = clock.GetUtcNow();
        if (wholeAgainAt.Count > MaxTrackedAddresses)
        {
            Prune(now);
        }
        while (true)
        {
            var known = wholeAgainAt.TryGetValue(address, out var current);
            var next = (known && current > now ? current : now) + interval;
            if (next - now > Window)
            {
                return next - now - Window;
            }
            if (known ? wholeAgainAt.TryUpdate(address, next, current) : wholeAgainAt.TryAdd(address, next))
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Drops addresses whose allowance is whole (the same as never seen), then, if still too many joined within the
    /// last minute, those nearest to whole, down to 90 % so the next prune is thousands of new addresses away.
    /// </summary>
    private void Prune(DateTimeOffset now)
    {
        if (Interlocked.Exchange(ref pruning, 1) == 1)
        {
            return;
        }
        try
        {
            foreach (var entry in wholeAgainAt)
            {
                if (entry.Value <= now)
                {
                    wholeAgainAt.TryRemove(entry);
                }
            }
            var excess = wholeAgainAt.Count - MaxTrackedAddresses * 9 / 10;
            if (excess > 0)
            {
                foreach (var entry in wholeAgainAt.OrderBy(e => e.Value).Take(excess).ToList())
                {
                    wholeAgainAt.TryRemove(entry);
                }
            }
        }
        finally
        {
            Volatile.Write(ref pruning, 0);
        }
    }
}
