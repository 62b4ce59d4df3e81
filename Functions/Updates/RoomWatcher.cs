using FunctionsChat.Messages;
using FunctionsChat.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Updates;

/// <summary>
/// Cross-instance wake-up. While at least one long poll of a room waits on this instance, one loop per room reads the
/// room's signal (<see cref="IRoomSignals"/>, one point read), and when another instance has raised it since, wakes
/// every poll of the room waiting here: that instance's puts are done, so the woken receive finds its messages. The
/// loop reads every <see cref="ChatOptions.RoomWatchIntervalMilliseconds"/> while the room is active and slows down to
/// <see cref="ChatOptions.RoomWatchIdleIntervalMilliseconds"/> when it falls quiet.
/// Only a shortcut: a poll that is not woken still finds its messages on its next dequeue attempt, so correctness
/// never depends on it.
/// </summary>
public sealed class RoomWatcher(
    IRoomSignals signals,
    ChatInstance instance,
    WaitingPolls polls,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<RoomWatcher> logger)
{
    /// <summary>
    /// A room stays active, and watched at the fast interval, this long after its last message: long enough for a
    /// burst, short enough that a room chatting at human pace (a message every few seconds) is not read ten times a
    /// second by every instance all the time.
    /// </summary>
    internal static readonly TimeSpan ActiveFor = TimeSpan.FromSeconds(3);

    /// <summary>A room is busy (see <see cref="IsBusy"/>) with at least this many messages within <see cref="BusyWindow"/>.</summary>
    internal const int BusyMessages = 3;

    internal static readonly TimeSpan BusyWindow = TimeSpan.FromSeconds(2);

    /// <summary>A room's watch ends this long after its last waiting poll did, not before.</summary>
    internal static readonly TimeSpan EmptyGrace = TimeSpan.FromSeconds(1);

    /// <summary>The first read of a new watch wakes for signals this recent: a poll may have looked just before them.</summary>
    private static readonly TimeSpan FirstReadOverlap = TimeSpan.FromSeconds(2);

    private readonly TimeSpan activeInterval = TimeSpan.FromMilliseconds(options.Value.RoomWatchIntervalMilliseconds);
    private readonly TimeSpan idleInterval = TimeSpan.FromMilliseconds(Math.Max(options.Value.RoomWatchIdleIntervalMilliseconds, options.Value.RoomWatchIntervalMilliseconds));
    private readonly Lock gate = new();
    private readonly Dictionary<string, RoomState> rooms = new(StringComparer.Ordinal);

    public bool Enabled => activeInterval > TimeSpan.Zero;

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
                rooms[room] = started = state = new RoomState(clock.GetUtcNow());
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
    /// Changes whenever this watcher sees another instance's signal in <paramref name="room"/> (and when the room's
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

    /// <summary>This instance is fanning out <paramref name="count"/> messages of <paramref name="room"/>.</summary>
    public void MessagesHere(string room, int count)
    {
        lock (gate)
        {
            if (rooms.TryGetValue(room, out var state))
            {
                state.Saw(clock.GetUtcNow(), count);
                // A quiet room just came alive: answers from other instances may follow, look at the fast pace now.
                state.Nudge.TrySetResult();
            }
        }
    }

    /// <summary>
    /// True while messages of <paramref name="room"/> come in quick succession, as far as this instance sees them (its
    /// own fan-outs and other instances' signals): then a poll answer may wait a moment to carry more than one.
    /// </summary>
    public bool IsBusy(string room)
    {
        lock (gate)
        {
            return rooms.TryGetValue(room, out var state) && state.RecentCount(clock.GetUtcNow() - BusyWindow) >= BusyMessages;
        }
    }

    private async Task WatchRoomAsync(string room, RoomState state)
    {
        var stopping = lifetime.ApplicationStopping;
        var first = true;
        var interval = activeInterval;
        while (!stopping.IsCancellationRequested)
        {
            if (!first)
            {
                try
                {
                    var pause = Task.Delay(interval, clock, stopping);
                    Task? nudged = null;
                    lock (gate)
                    {
                        nudged = interval > activeInterval ? state.Nudge.Task : null;
                    }
                    await (nudged is null ? pause : Task.WhenAny(pause, nudged));
                    stopping.ThrowIfCancellationRequested();
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                lock (gate)
                {
                    if (state.Nudge.Task.IsCompleted)
                    {
                        state.Nudge = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    }
                }
            }
            lock (gate)
            {
                // Not the moment the last poll ends: after a round every poll of the room answers and polls again a few
                // milliseconds later, and a watch started afresh has a new epoch, which makes every poll look first.
                if (state.Waiting.Count == 0 && clock.GetUtcNow() - state.EmptySince >= EmptyGrace)
                {
                    rooms.Remove(room);
                    return;
                }
            }
            IReadOnlyDictionary<string, string> raised;
            try
            {
                raised = await signals.ReadAsync(room, stopping);
            }
            catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
            {
                logger.LogDebug(e, "Room watcher of {Room} could not read the room's signal", room);
                first = false;
                continue;
            }
            List<string>? wake = null;
            var now = clock.GetUtcNow();
            lock (gate)
            {
                var news = 0;
                foreach (var (writer, id) in raised)
                {
                    if (writer == instance.Id)
                    {
                        continue; // this instance's own polls were handed their messages or woken by its puts
                    }
                    var isNew = state.Seen.TryGetValue(writer, out var seen)
                        ? string.CompareOrdinal(id, seen) > 0
                        : !first || MessageIds.SentAtOf(id) >= state.WatchStarted - FirstReadOverlap;
                    if (isNew)
                    {
                        news++;
                    }
                    if (seen is null || string.CompareOrdinal(id, seen) > 0)
                    {
                        state.Seen[writer] = id;
                    }
                }
                if (news > 0)
                {
                    state.Saw(now, news);
                    state.Epoch = new object();
                    wake = [.. state.Waiting.Keys];
                }
                // Fast while messages flow; when the room falls quiet, each read waits twice as long, up to the idle interval.
                interval = now - state.LastMessage < ActiveFor ? activeInterval : Min(interval * 2, idleInterval);
            }
            first = false;
            wake?.ForEach(polls.Wake);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private void Release(RoomState state, string queueName)
    {
        lock (gate)
        {
            if (state.Waiting.TryGetValue(queueName, out var count))
            {
                if (count <= 1)
                {
                    state.Waiting.Remove(queueName);
                    if (state.Waiting.Count == 0)
                    {
                        state.EmptySince = clock.GetUtcNow();
                    }
                }
                else
                {
                    state.Waiting[queueName] = count - 1;
                }
            }
        }
    }

    private sealed class RoomState(DateTimeOffset watchStarted)
    {
        private readonly Queue<(DateTimeOffset At, int Count)> recent = new();

        public DateTimeOffset WatchStarted => watchStarted;

        public Dictionary<string, int> Waiting { get; } = new(StringComparer.Ordinal);

        /// <summary>The newest id seen from each other instance.</summary>
        public Dictionary<string, string> Seen { get; } = new(StringComparer.Ordinal);

        public DateTimeOffset LastMessage { get; private set; } = DateTimeOffset.MinValue;

        /// <summary>When the last waiting poll ended (meaningful while none waits).</summary>
        public DateTimeOffset EmptySince { get; set; }

        /// <summary>Completed by a message fanned out here, to end a slow watch's wait early.</summary>
        public TaskCompletionSource Nudge { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Replaced whenever another instance's signal is seen; see <see cref="RoomWatcher.Epoch"/>.</summary>
        public object Epoch { get; set; } = new();

        public void Saw(DateTimeOffset at, int count)
        {
            LastMessage = at;
            recent.Enqueue((at, count));
            while (recent.Count > 64)
            {
                recent.Dequeue();
            }
        }

        public int RecentCount(DateTimeOffset since)
        {
            while (recent.TryPeek(out var oldest) && oldest.At < since)
            {
                recent.Dequeue();
            }
            return recent.Sum(r => r.Count);
        }
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
