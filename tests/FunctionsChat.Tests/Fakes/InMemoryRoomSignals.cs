using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

public sealed class InMemoryRoomSignals(FakeOutage? outage = null) : IRoomSignals
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Dictionary<string, string>> rooms = new(StringComparer.Ordinal);
    private int readCalls;
    private int raiseCalls;

    /// <summary>Reads so far, to show how often the room watcher looks.</summary>
    public int ReadCalls => Volatile.Read(ref readCalls);

    public int RaiseCalls => Volatile.Read(ref raiseCalls);

    public Task RaiseAsync(string room, string writer, string messageId, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(writer);
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
        Interlocked.Increment(ref raiseCalls);
        lock (gate)
        {
            if (!rooms.TryGetValue(room, out var entries))
            {
                rooms[room] = entries = new Dictionary<string, string>(StringComparer.Ordinal);
            }
            entries[writer] = messageId;
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, string>> ReadAsync(string room, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
        Interlocked.Increment(ref readCalls);
        lock (gate)
        {
            if (!rooms.TryGetValue(room, out var entries))
            {
                return Task.FromResult<IReadOnlyDictionary<string, string>>(new Dictionary<string, string>(StringComparer.Ordinal));
            }
            var kept = new Dictionary<string, string>(RoomSignalRules.Kept(entries), StringComparer.Ordinal);
            rooms[room] = new Dictionary<string, string>(kept, StringComparer.Ordinal);
            return Task.FromResult<IReadOnlyDictionary<string, string>>(kept);
        }
    }
}
