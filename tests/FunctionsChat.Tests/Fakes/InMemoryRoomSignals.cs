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

    /// <summary>While set, reads wait for this task first: a read that is slow to come back.</summary>
    public Task? ReadsWaitFor { get; set; }

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

    public async Task<IReadOnlyDictionary<string, string>> ReadAsync(string room, CancellationToken cancellationToken)
    {
        if (ReadsWaitFor is { } slow)
        {
            await slow.WaitAsync(cancellationToken);
        }
        return Read(room, cancellationToken);
    }

    private IReadOnlyDictionary<string, string> Read(string room, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
        Interlocked.Increment(ref readCalls);
        lock (gate)
        {
            if (!rooms.TryGetValue(room, out var entries))
            {
                return new Dictionary<string, string>(StringComparer.Ordinal);
            }
            var kept = new Dictionary<string, string>(RoomSignalRules.Kept(entries), StringComparer.Ordinal);
            rooms[room] = new Dictionary<string, string>(kept, StringComparer.Ordinal);
            return kept;
        }
    }
}
