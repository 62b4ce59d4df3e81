namespace FunctionsChat.Storage;

/// <summary>
/// One small record per room that says "messages are on their way": every instance that puts a room's messages on
/// members' queues, or hands them over to another instance (<see cref="IHandOvers"/>), then records that round under
/// its own name, and every instance with polls of the room waiting reads the record to wake them. Each writer has its
/// own entry, so two instances never overwrite each other's news.
/// </summary>
public interface IRoomSignals
{
    /// <summary>Replaces <paramref name="writer"/>'s entry in the room with <paramref name="signal"/>.</summary>
    Task RaiseAsync(string room, string writer, WriterSignal signal, CancellationToken cancellationToken);

    /// <summary>Each writer's latest entry in the room (writers silent for long may be left out); empty when none.</summary>
    Task<IReadOnlyDictionary<string, WriterSignal>> ReadAsync(string room, CancellationToken cancellationToken);
}

/// <summary>
/// A writer's recent rounds in one room, oldest first. Older rounds are dropped: a reader whose last seen round is
/// older than <paramref name="DroppedThrough"/> cannot tell which queues the dropped ones put to.
/// </summary>
/// <param name="DroppedThrough">The newest sequence number no longer listed (0 when none was dropped).</param>
/// <param name="LatestId">
/// The newest message of the room this writer has fanned out completely (every copy handed to a poll, handed over or
/// queued): what a poll answer reports as the room's latest, so a page that lacks it knows it missed something.
/// </param>
public sealed record WriterSignal(long DroppedThrough, IReadOnlyList<SignalRound> Rounds, string? LatestId = null)
{
    public SignalRound Latest => Rounds[^1];
}

/// <summary>One round: a fan-out, a hand-over's re-puts, or messages returned to a queue.</summary>
/// <param name="Sequence">Grows with every round of the writer, across rooms.</param>
/// <param name="PutTo">The queues this round put messages on; null when it may have put on any of the room's.</param>
/// <param name="HandedOver">The hand-overs this round stored (<see cref="IHandOvers"/>), so their targets read them by key.</param>
/// <param name="Missed">
/// The queues this round could not put its messages on: the polls of those members answer at once, naming
/// <paramref name="LastId"/>, so their pages read it from history.
/// </param>
/// <param name="LastId">The newest message of the round (set when <paramref name="Missed"/> is).</param>
public sealed record SignalRound(long Sequence, DateTimeOffset At, IReadOnlyList<string>? PutTo, IReadOnlyList<HandOverKey>? HandedOver = null, IReadOnlyList<string>? Missed = null, string? LastId = null);

/// <summary>Where one hand-over is stored: its target instance and its key there.</summary>
public sealed record HandOverKey(string Target, string Key);

/// <summary>What the <see cref="IRoomSignals"/> stores share: writer names and when an entry is old enough to drop.</summary>
public static class RoomSignalRules
{
    /// <summary>More writers than this in one record and those silent for <see cref="SilentWriterAge"/> are dropped.</summary>
    public const int MaxWriters = 16;

    public static readonly TimeSpan SilentWriterAge = TimeSpan.FromMinutes(10);

    /// <summary>Writers are instance names: 1 to 32 lower-case letters and digits, so each can name a table property.</summary>
    public static void CheckWriter(string writer)
    {
        if (writer.Length is 0 or > 32 || !writer.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9')))
        {
            throw new ArgumentException("A signal writer is 1 to 32 lower-case letters and digits.", nameof(writer));
        }
    }

    public static void CheckSignal(WriterSignal signal)
    {
        if (signal.Rounds.Count == 0)
        {
            throw new ArgumentException("A signal lists at least its latest round.", nameof(signal));
        }
    }

    /// <summary>
    /// The entries to keep: all of them up to <see cref="MaxWriters"/>; past that, those whose latest round is within
    /// <see cref="SilentWriterAge"/> of the newest.
    /// </summary>
    public static IReadOnlyDictionary<string, WriterSignal> Kept(IReadOnlyDictionary<string, WriterSignal> entries)
    {
        if (entries.Count <= MaxWriters)
        {
            return entries;
        }
        var newest = entries.Values.Max(e => e.Latest.At);
        return entries.Where(e => newest - e.Value.Latest.At < SilentWriterAge).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
    }
}
