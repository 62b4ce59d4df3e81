using FunctionsChat.Storage;

namespace FunctionsChat.Updates;

/// <summary>
/// This instance's entry in each room's signal: its recent rounds with the queues each put messages on, so the other
/// instances wake (and stop trusting "found empty" for) exactly those members' polls. Raises of one room are written
/// one at a time, each with everything recorded so far, so a slow write never overwrites a newer one.
/// </summary>
public sealed class RoomSignalWriter(IRoomSignals signals, ChatInstance instance, TimeProvider clock)
{
    /// <summary>
    /// Rounds are listed this long (a watcher reads at least every second); a reader that last looked earlier than
    /// that wakes every poll. Short, because every raise rewrites the entry and every watcher reads it.
    /// </summary>
    internal static readonly TimeSpan RoundsKeptFor = TimeSpan.FromSeconds(2);

    /// <summary>A round that put on more queues than this is recorded as "any queue": every poll looks.</summary>
    internal const int MaxNamedQueues = 64;

    /// <summary>Bounds the record: past this many queue names over its rounds, the oldest rounds are dropped.</summary>
    internal const int MaxQueueNamesListed = 128;

    private readonly Lock gate = new();
    private readonly Dictionary<string, RoomRounds> rooms = new(StringComparer.Ordinal);
    private long sequence;
    private bool forgotRooms;

    /// <summary>
    /// Records a round that put messages on <paramref name="putTo"/> (null: maybe any queue) and stored
    /// <paramref name="handedOver"/>, and raises the room's signal.
    /// </summary>
    public async Task RaiseAsync(string room, IReadOnlyCollection<string>? putTo, CancellationToken cancellationToken, IReadOnlyList<HandOverKey>? handedOver = null)
    {
        RoomRounds state;
        lock (gate)
        {
            if (!rooms.TryGetValue(room, out state!))
            {
                ForgetQuietRooms();
                // A room seen for the first time has dropped nothing; once rooms have been forgotten, a new entry
                // cannot tell whether it had rounds before, and says so (sequences keep growing across rooms).
                rooms[room] = state = new RoomRounds(forgotRooms ? sequence : 0);
            }
            var named = putTo is { Count: <= MaxNamedQueues } ? putTo.ToList() : null;
            state.Add(new SignalRound(++sequence, clock.GetUtcNow(), named, handedOver is { Count: > 0 } ? handedOver : null), clock.GetUtcNow() - RoundsKeptFor);
        }
        await state.Writes.WaitAsync(cancellationToken);
        try
        {
            WriterSignal signal;
            lock (gate)
            {
                signal = state.Snapshot();
            }
            await signals.RaiseAsync(room, instance.Id, signal, cancellationToken);
        }
        finally
        {
            state.Writes.Release();
        }
    }

    private void ForgetQuietRooms()
    {
        if (rooms.Count < 1_000)
        {
            return;
        }
        var quiet = clock.GetUtcNow() - RoundsKeptFor;
        foreach (var (room, state) in rooms.Where(r => r.Value.LatestAt < quiet).ToList())
        {
            rooms.Remove(room);
            forgotRooms = true;
        }
    }

    private sealed class RoomRounds(long droppedThrough)
    {
        private readonly List<SignalRound> rounds = [];

        public SemaphoreSlim Writes { get; } = new(1, 1);

        public DateTimeOffset LatestAt => rounds.Count > 0 ? rounds[^1].At : DateTimeOffset.MinValue;

        public void Add(SignalRound round, DateTimeOffset keepSince)
        {
            rounds.Add(round);
            while (rounds.Count > 1 && (rounds[0].At < keepSince || rounds.Sum(r => (r.PutTo?.Count ?? 0) + (r.HandedOver?.Count ?? 0)) > MaxQueueNamesListed))
            {
                droppedThrough = rounds[0].Sequence;
                rounds.RemoveAt(0);
            }
        }

        public WriterSignal Snapshot() => new(droppedThrough, [.. rounds]);
    }
}
