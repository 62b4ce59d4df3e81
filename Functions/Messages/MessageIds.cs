using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace FunctionsChat.Messages;

/// <summary>
/// Message ids are "{UTC ticks, 19 digits}-{8 hex digits}": they sort ordinally by the accepting server's clock. The
/// ticks never repeat or go back within one instance; the random tail orders two instances' messages of the same tick.
/// </summary>
public sealed partial class MessageIds(TimeProvider clock)
{
    private long lastTicks;

    [GeneratedRegex("^[0-9]{19}-[0-9a-f]{8}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);

    /// <summary>The instant an id stands for (its leading ticks); <see cref="DateTimeOffset.MinValue"/> if it has none.</summary>
    public static DateTimeOffset SentAtOf(string id) =>
        id.Length >= 19 && long.TryParse(id.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks) && ticks <= DateTimeOffset.MaxValue.UtcTicks
            ? new DateTimeOffset(ticks, TimeSpan.Zero)
            : DateTimeOffset.MinValue;

    /// <summary>A new id and the instant it stands for, which is also the message's sentAt.</summary>
    public (string Id, DateTimeOffset SentAt) Next()
    {
        var now = clock.GetUtcNow().UtcTicks;
        long ticks;
        long seen;
        do
        {
            seen = Interlocked.Read(ref lastTicks);
            ticks = Math.Max(now, seen + 1);
        }
        while (Interlocked.CompareExchange(ref lastTicks, ticks, seen) != seen);
        var tail = RandomNumberGenerator.GetInt32(int.MaxValue);
        var id = string.Create(CultureInfo.InvariantCulture, $"{ticks:D19}-{tail:x8}");
        return (id, new DateTimeOffset(ticks, TimeSpan.Zero));
    }
}
