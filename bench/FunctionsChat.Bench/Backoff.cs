namespace FunctionsChat.Bench;

/// <summary>
/// The page's reconnect delays (StaticSite/lib/backoff.js): a ceiling doubling from 0.5 s to 30 s, at least half of it
/// and the rest random ("equal jitter"); a server's Retry-After wins, plus up to 0.5 s of jitter.
/// </summary>
public sealed class Backoff
{
    private static readonly TimeSpan Base = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(30);
    private int attempt;

    public TimeSpan Next(TimeSpan? retryAfter)
    {
        attempt++;
        if (retryAfter is { } wait)
        {
            return wait + Base * Random.Shared.NextDouble();
        }
        var ceiling = Base * Math.Pow(2, Math.Min(attempt - 1, 16));
        if (ceiling > Max)
        {
            ceiling = Max;
        }
        return ceiling / 2 + ceiling / 2 * Random.Shared.NextDouble();
    }

    public void Reset() => attempt = 0;
}
