using FunctionsChat.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Delivery;

/// <summary>
/// This instance's entry in each room's signal: its recent rounds with the queues each put messages on, so the other
/// instances wake (and stop trusting "found empty" for) exactly those members' polls, and the newest message it fanned
/// out completely, which every poll answer reports (<see cref="RoomLatest"/>). Raises of one room are written one at a
/// time, each with everything recorded so far, so a slow write never overwrites a newer one. A raise that fails is
/// tried again in the background (<see cref="DeliveryTimings.SignalRetryPauses"/>), and after the last try the room's
/// next raise carries it: until then other instances' polls are not woken.
/// </summary>
public sealed class RoomSignalWriter(IRoomSignals signals, ChatInstance instance, DeliveryTimings timings, IOptions<ChatOptions> options, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<RoomSignalWriter> logger)
{
    private readonly TimeSpan roundsKeptFor = timings.RoundsKeptFor(options.Value);



    /// <summary>A round that put on more queues than this is recorded as "any queue": every poll looks.</summary>
    internal const int MaxNamedQueues = 256;

    /// <summary>Bounds the record: past this many queue names over its rounds, the oldest rounds are dropped.</summary>
    internal const int MaxQueueNamesListed = 512;

    private readonly Lock gate = new();
    private readonly Dictionary<string, RoomRounds> rooms = new(StringComparer.Ordinal);
    private long sequence;
    private bool forgotRooms;

    /// <summary>
    /// Records a round that put messages on <paramref name="putTo"/> (null: maybe any queue), stored
    /// <paramref name="handedOver"/>, could not reach <paramref name="missed"/> (with <paramref name="lastId"/>, its newest
    /// message) and, with <paramref name="fannedOutThrough"/>, completed the fan-out of the room's messages up to that id;
    /// then raises the room's signal. Throws when the write fails (it is then retried in the background).
    /// </summary>
    public async Task RaiseAsync(string room, IReadOnlyCollection<string>? putTo, CancellationToken cancellationToken, IReadOnlyList<HandOverKey>? handedOver = null,
        IReadOnlyList<string>? missed = null, string? lastId = null, string? fannedOutThrough = null)
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
            var missing = missed is { Count: > 0 } ? missed.Take(MaxNamedQueues).ToList() : null;
            state.Add(new SignalRound(++sequence, clock.GetUtcNow(), named, handedOver is { Count: > 0 } ? handedOver : null, missing, missing is null ? null : lastId), clock.GetUtcNow() - roundsKeptFor);
            state.FannedOut(fannedOutThrough);
        }
        try
        {
            await WriteAsync(room, state, cancellationToken);
        }
        catch (Exception e) when (e is StorageUnavailableException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _ = RetryAsync(room, state);
            throw;
        }
    }

    /// <summary>Writes everything recorded for the room, unless a write since the last change already did.</summary>
    public Task FlushAsync(string room, CancellationToken cancellationToken)
    {
        RoomRounds? state;
        lock (gate)
        {
            state = rooms.GetValueOrDefault(room);
        }
        return state is null ? Task.CompletedTask : WriteAsync(room, state, cancellationToken);
    }

    /// <summary>Writes everything recorded for the room, unless a newer write already carried it.</summary>
    private async Task WriteAsync(string room, RoomRounds state, CancellationToken cancellationToken)
    {
        long version;
        lock (gate)
        {
            version = state.Version;
        }
        await TakeTurnAsync(state.Writes, cancellationToken);
        try
        {
            if (state.WrittenVersion >= version)
            {
                return; // a write that waited ahead of this one carried it
            }
            WriterSignal signal;
            lock (gate)
            {
                signal = state.Snapshot();
                version = state.Version;
            }
            await signals.RaiseAsync(room, instance.Id, signal, cancellationToken);
            state.WrittenVersion = Math.Max(state.WrittenVersion, version);
            lock (gate)
            {
                state.Written(signal.Rounds.Count > 0 ? signal.Latest.Sequence : 0, clock.GetUtcNow());
            }
        }
        finally
        {
            state.Writes.Release();
        }
    }

    /// <summary>
    /// The room's write turn. SemaphoreSlim's wait with a token completes on the thread pool (see <see cref="Waits"/>),
    /// so the token-less wait is awaited through Waits; a turn granted after the caller left is handed on at once.
    /// </summary>
    private static async Task TakeTurnAsync(SemaphoreSlim writes, CancellationToken cancellationToken)
    {
        var turn = writes.WaitAsync();
        try
        {
            await Waits.ForAsync(turn, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            _ = turn.ContinueWith(static (_, state) => ((SemaphoreSlim)state!).Release(), writes,
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Current);
            throw;
        }
    }

    /// <summary>One background retry loop per room at a time; it ends once a write (its own or a later raise) succeeded.</summary>
    private async Task RetryAsync(string room, RoomRounds state)
    {
        if (Interlocked.Exchange(ref state.Retrying, 1) == 1)
        {
            return;
        }
        try
        {
            foreach (var pause in timings.SignalRetryPauses)
            {
                await Task.Delay(pause, clock, lifetime.ApplicationStopping);
                try
                {
                    await WriteAsync(room, state, lifetime.ApplicationStopping);
                    return;
                }
                catch (StorageUnavailableException ex)
                {
                    logger.LogDebug(ex, "Could not raise the signal of room {Room} yet", room);
                }
            }
            logger.LogWarning("Gave up raising the signal of room {Room}; its next round carries what it missed", room);
        }
        catch (OperationCanceledException)
        {
            // Stopping: the pages of members waiting elsewhere read what they miss from history.
        }
        finally
        {
            Interlocked.Exchange(ref state.Retrying, 0);
        }
    }

    private void ForgetQuietRooms()
    {
        if (rooms.Count < 1_000)
        {
            return;
        }
        var quiet = clock.GetUtcNow() - roundsKeptFor;
        foreach (var (room, state) in rooms.Where(r => r.Value.LatestAt < quiet).ToList())
        {
            rooms.Remove(room);
            forgotRooms = true;
        }
    }

    private sealed class RoomRounds(long droppedThrough)
    {
        /// <summary>Each round, and when a write first carried it (null: not yet).</summary>
        private readonly List<(SignalRound Round, DateTimeOffset? WrittenAt)> rounds = [];
        private string? latestId;

        public SemaphoreSlim Writes { get; } = new(1, 1);

        /// <summary>Grows with every change; a write carries all changes up to the version it snapshotted.</summary>
        public long Version { get; private set; }

        public long WrittenVersion { get; set; }

        public int Retrying;

        public void FannedOut(string? id)
        {
            if (id is not null && (latestId is null || string.CompareOrdinal(id, latestId) > 0))
            {
                latestId = id;
            }
        }

        public DateTimeOffset LatestAt => rounds.Count > 0 ? rounds[^1].Round.At : DateTimeOffset.MinValue;

        /// <summary>
        /// Adds a round and drops those written before <paramref name="keepSince"/>. The age counts from the first
        /// write that carried a round, not from the round: one whose writes failed for a while (an outage) is still
        /// there for readers to see, its missed copies above all, which a reader told only "rounds dropped" cannot know.
        /// </summary>
        public void Add(SignalRound round, DateTimeOffset keepSince)
        {
            Version++;
            rounds.Add((round, null));
            while (rounds.Count > 1 && (rounds[0].WrittenAt < keepSince || Names() > MaxQueueNamesListed))
            {
                droppedThrough = rounds[0].Round.Sequence;
                rounds.RemoveAt(0);
            }
        }

        /// <summary>A write carried every round through <paramref name="sequence"/>.</summary>
        public void Written(long sequence, DateTimeOffset at)
        {
            for (var i = 0; i < rounds.Count && rounds[i].Round.Sequence <= sequence; i++)
            {
                rounds[i] = rounds[i] with { WrittenAt = rounds[i].WrittenAt ?? at };
            }
        }

        public WriterSignal Snapshot() => new(droppedThrough, [.. rounds.Select(r => r.Round)], latestId);

        private int Names() => rounds.Sum(r => (r.Round.PutTo?.Count ?? 0) + (r.Round.HandedOver?.Count ?? 0) + (r.Round.Missed?.Count ?? 0));
    }
}
