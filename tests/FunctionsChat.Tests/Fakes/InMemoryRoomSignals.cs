using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

public sealed class InMemoryRoomSignals(FakeOutage? outage = null) : IRoomSignals
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, Dictionary<string, WriterSignal>> rooms = new(StringComparer.Ordinal);
    private int readCalls;
    private int raiseCalls;

    /// <summary>Reads so far, to show how often the room watcher looks.</summary>
    public int ReadCalls => Volatile.Read(ref readCalls);

    public int RaiseCalls => Volatile.Read(ref raiseCalls);

    /// <summary>While set, reads wait for this task first: a read that is slow to come back.</summary>
    public Task? ReadsWaitFor { get; set; }

    /// <summary>The next reads fail with this, then it clears: a fault nobody planned for (a 403, a row it cannot parse).</summary>
    public Exception? NextReadFailsWith { get; set; }

    /// <summary>This many next raises fail as in an outage, storing nothing.</summary>
    public int FailNextRaises { get; set; }

    public Task RaiseAsync(string room, string writer, WriterSignal signal, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(writer);
        RoomSignalRules.CheckSignal(signal);
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
        Interlocked.Increment(ref raiseCalls);
        lock (gate)
        {
            if (FailNextRaises > 0)
            {
                FailNextRaises--;
                throw new StorageUnavailableException("Fake signal write failed.");
            }
        }
        lock (gate)
        {
            if (!rooms.TryGetValue(room, out var entries))
            {
                rooms[room] = entries = new Dictionary<string, WriterSignal>(StringComparer.Ordinal);
            }
            // As stored: the times at the store's precision, the lists copied.
            entries[writer] = new WriterSignal(signal.DroppedThrough, signal.Rounds
                .Select(r => r with { At = DateTimeOffset.FromUnixTimeMilliseconds(r.At.ToUnixTimeMilliseconds()), PutTo = r.PutTo?.ToList(), Missed = r.Missed?.ToList() })
                .ToList(), signal.LatestId);
        }
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyDictionary<string, WriterSignal>> ReadAsync(string room, CancellationToken cancellationToken)
    {
        if (ReadsWaitFor is { } slow)
        {
            await slow.WaitAsync(cancellationToken);
        }
        if (NextReadFailsWith is { } failure)
        {
            NextReadFailsWith = null;
            throw failure;
        }
        return Read(room, cancellationToken);
    }

    private IReadOnlyDictionary<string, WriterSignal> Read(string room, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
        Interlocked.Increment(ref readCalls);
        lock (gate)
        {
            if (!rooms.TryGetValue(room, out var entries))
            {
                return new Dictionary<string, WriterSignal>(StringComparer.Ordinal);
            }
            var kept = new Dictionary<string, WriterSignal>(RoomSignalRules.Kept(entries), StringComparer.Ordinal);
            rooms[room] = new Dictionary<string, WriterSignal>(kept, StringComparer.Ordinal);
            return kept;
        }
    }
}
