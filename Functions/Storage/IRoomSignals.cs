using FunctionsChat.Messages;

namespace FunctionsChat.Storage;

/// <summary>
/// One small record per room that says "a fan-out has finished": every instance that puts a room's messages on its
/// members' queues then writes the last id of that round under its own name, and every instance with polls of the
/// room waiting reads the record to wake them. Each writer has its own entry, so two instances never overwrite each
/// other's news.
/// </summary>
public interface IRoomSignals
{
    /// <summary>Records that <paramref name="writer"/> has put every message up to <paramref name="messageId"/> on the room's queues.</summary>
    Task RaiseAsync(string room, string writer, string messageId, CancellationToken cancellationToken);

    /// <summary>The newest id each writer raised in the room (writers silent for long may be left out); empty when none.</summary>
    Task<IReadOnlyDictionary<string, string>> ReadAsync(string room, CancellationToken cancellationToken);
}

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

    /// <summary>
    /// The entries to keep: all of them up to <see cref="MaxWriters"/>; past that, those within
    /// <see cref="SilentWriterAge"/> of the newest (by the instant each id stands for).
    /// </summary>
    public static IReadOnlyDictionary<string, string> Kept(IReadOnlyDictionary<string, string> entries)
    {
        if (entries.Count <= MaxWriters)
        {
            return entries;
        }
        var newest = entries.Values.Max(MessageIds.SentAtOf);
        return entries.Where(e => newest - MessageIds.SentAtOf(e.Value) < SilentWriterAge).ToDictionary(e => e.Key, e => e.Value, StringComparer.Ordinal);
    }
}
