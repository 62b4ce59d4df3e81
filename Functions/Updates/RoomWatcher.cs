using FunctionsChat.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Updates;

/// <summary>
/// Cross-instance wake-up. While at least one long poll of a room waits on this instance, one loop per room reads the
/// room's newest history row (a one-row range read) every <see cref="ChatOptions.RoomWatchIntervalMilliseconds"/>, and
/// when a newer message appears that was not fanned out by this instance, wakes every poll of that room waiting here.
/// Only a shortcut: a poll that is not woken still finds its messages on its next
/// dequeue attempt, so correctness never depends on it.
/// </summary>
public sealed class RoomWatcher(
    IMessageHistory history,
    WaitingPolls polls,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<RoomWatcher> logger)
{
    private static readonly HistoryQuery Newest = new(After: null, Before: null, Limit: 1);
    private readonly TimeSpan interval = TimeSpan.FromMilliseconds(options.Value.RoomWatchIntervalMilliseconds);
    private readonly Lock gate = new();
    private readonly Dictionary<string, RoomState> rooms = new(StringComparer.Ordinal);

    public bool Enabled => interval > TimeSpan.Zero;

    /// <summary>Marks a poll of <paramref name="queueName"/> in <paramref name="room"/> as waiting until disposed.</summary>
    public IDisposable Watch(string room, string queueName)
    {
        if (!Enabled)
        {
            return NoWatch.Instance;
        }
        RoomState? started = null;
        Registration registration;
        lock (gate)
        {
            if (!rooms.TryGetValue(room, out var state))
            {
                rooms[room] = started = state = new RoomState();
            }
            state.Waiting[queueName] = state.Waiting.GetValueOrDefault(queueName) + 1;
            registration = new Registration(this, state, queueName);
        }
        if (started is not null)
        {
            _ = WatchRoomAsync(room, started);
        }
        return registration;
    }

    /// <summary>
    /// Changes whenever this watcher sees a message from another instance in <paramref name="room"/> (and when the room's
    /// watch starts afresh); null while nobody waits in the room here or the watcher is off. A queue found empty at one
    /// epoch can only have received another instance's message if the epoch changed since (<see cref="WaitingPolls.KnownEmpty"/>).
    /// </summary>
    public object? Epoch(string room)
    {
        lock (gate)
        {
            return rooms.TryGetValue(room, out var state) ? state.Epoch : null;
        }
    }

    /// <summary>A send on this instance is about to fan out <paramref name="messageId"/>: its own signals wake the polls here.</summary>
    public void FanningOutHere(string room, string messageId)
    {
        lock (gate)
        {
            if (rooms.TryGetValue(room, out var state) && Later(messageId, state.FannedOutHere))
            {
                state.FannedOutHere = messageId;
            }
        }
    }

    private async Task WatchRoomAsync(string room, RoomState state)
    {
        var stopping = lifetime.ApplicationStopping;
        var first = true;
        while (!stopping.IsCancellationRequested)
        {
            if (!first)
            {
                try
                {
                    await Task.Delay(interval, clock, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            lock (gate)
            {
                if (state.Waiting.Count == 0)
                {
                    rooms.Remove(room);
                    return;
                }
            }
            string? newest;
            try
            {
                newest = (await history.QueryAsync(room, Newest, stopping)).LastOrDefault()?.Id;
            }
            catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
            {
                logger.LogDebug(e, "Room watcher of {Room} could not read the newest message", room);
                continue;
            }
            List<string>? wake = null;
            lock (gate)
            {
                if (!first && newest is not null && Later(newest, state.Newest) && Later(newest, state.FannedOutHere))
                {
                    wake = [.. state.Waiting.Keys];
                    state.Epoch = new object();
                }
                if (newest is not null && Later(newest, state.Newest))
                {
                    state.Newest = newest;
                }
            }
            first = false;
            wake?.ForEach(polls.Wake);
        }
    }

    private static bool Later(string id, string? than) => than is null || string.CompareOrdinal(id, than) > 0;

    private void Release(RoomState state, string queueName)
    {
        lock (gate)
        {
            if (state.Waiting.TryGetValue(queueName, out var count))
            {
                if (count <= 1)
                {
                    state.Waiting.Remove(queueName);
                }
                else
                {
                    state.Waiting[queueName] = count - 1;
                }
            }
        }
    }

    private sealed class RoomState
    {
        public Dictionary<string, int> Waiting { get; } = new(StringComparer.Ordinal);

        public string? Newest { get; set; }

        public string? FannedOutHere { get; set; }

        /// <summary>Replaced whenever a message from another instance is seen; see <see cref="RoomWatcher.Epoch"/>.</summary>
        public object Epoch { get; set; } = new();
    }

    private sealed class Registration(RoomWatcher watcher, RoomState state, string queueName) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                watcher.Release(state, queueName);
            }
        }
    }

    private sealed class NoWatch : IDisposable
    {
        public static readonly NoWatch Instance = new();

        public void Dispose()
        {
        }
    }
}
