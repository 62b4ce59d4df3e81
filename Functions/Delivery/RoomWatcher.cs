using FunctionsChat.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Delivery;

/// <summary>
/// Cross-instance wake-up. While at least one long poll of a room waits on this instance, one loop per room reads the
/// room's signal (<see cref="IRoomSignals"/>, one point read). When another instance has raised it since, it takes
/// the hand-overs to this instance (<see cref="HandOverReceiver"/>) and wakes the polls of the queues that instance put
/// to (all of them when that is not known); alongside it, <see cref="WaitingSetPublisher"/> publishes which polls wait
/// here while the room is active, so other instances hand over to it. The loop reads every
/// <see cref="ChatOptions.RoomWatchIntervalMilliseconds"/> while the room is active and slows down to
/// <see cref="ChatOptions.RoomWatchIdleIntervalMilliseconds"/> when it falls quiet.
/// Waking is only a shortcut: a poll that is not woken still finds queued messages on its next dequeue attempt.
/// </summary>
public sealed class RoomWatcher(
    IRoomSignals signals,
    ChatInstance instance,
    WaitingPolls polls,
    HandOverReceiver receiver,
    HandOverSweeper sweeper,
    WaitingSetPublisher publisher,
    RoomLatest latest,
    DeliveryTimings timings,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<RoomWatcher> logger)
{












    private readonly TimeSpan activeInterval = TimeSpan.FromMilliseconds(options.Value.RoomWatchIntervalMilliseconds);
    private readonly TimeSpan idleInterval = TimeSpan.FromMilliseconds(Math.Max(options.Value.RoomWatchIdleIntervalMilliseconds, options.Value.RoomWatchIntervalMilliseconds));
    private readonly Lock gate = new();
    private readonly Dictionary<string, WatchedRoom> rooms = new(StringComparer.Ordinal);

    public bool Enabled => activeInterval > TimeSpan.Zero;

    /// <summary>Marks a poll of <paramref name="queueName"/> in <paramref name="room"/> as waiting until disposed.</summary>
    public IDisposable Watch(string room, string queueName)
    {
        if (!Enabled)
        {
            return NoWatch.Instance;
        }
        WatchedRoom? started = null;
        Registration registration;
        lock (gate)
        {
            if (!rooms.TryGetValue(room, out var state))
            {
                rooms[room] = started = state = new WatchedRoom(gate, clock.GetUtcNow());
            }
            state.Waiting[queueName] = state.Waiting.GetValueOrDefault(queueName) + 1;
            state.Changed.TrySetResult();
            registration = new Registration(this, state, queueName);
        }
        if (started is not null)
        {
            _ = KeepRunningAsync(room, started, WatchRoomAsync, "watch");
            _ = KeepRunningAsync(room, started, publisher.RunAsync, "publishing");
        }
        return registration;
    }

    /// <summary>
    /// Changes whenever this watcher sees another instance's signal in <paramref name="room"/> (and when the room's
    /// watch starts afresh); null while nobody waits in the room here or the watcher is off. A queue found empty at one
    /// epoch can only have received another instance's message if the epoch changed since (<see cref="WaitingPolls.KnownEmpty"/>).
    /// </summary>
    public WatchEpoch? Epoch(string room)
    {
        lock (gate)
        {
            return rooms.TryGetValue(room, out var state) ? state.Epoch : null;
        }
    }

    /// <summary>
    /// True when this instance's watch of the room has not read its signal lately (the read failed or hangs): a put by
    /// another instance may be waiting in a queue without its poll here woken. False while reads keep up, and when no
    /// watcher runs (then every poll receives first anyway).
    /// </summary>
    public bool LagsBehind(string room)
    {
        var now = clock.GetUtcNow();
        lock (gate)
        {
            return rooms.TryGetValue(room, out var state) &&
                now - (state.ReadAt > state.WatchStarted ? state.ReadAt : state.WatchStarted) > timings.LatestFreshFor;
        }
    }

    /// <summary>
    /// True when no other instance can have put to <paramref name="queueName"/> within <paramref name="window"/> unseen:
    /// the room is watched since before then, its signal was read within <see cref="DeliveryTimings.LatestFreshFor"/>,
    /// and no round seen since named the queue or left its queues unnamed. A put made since, not yet in the signal,
    /// wakes the poll once the watcher reads it.
    /// </summary>
    public bool NoPutSeenTo(string room, string queueName, TimeSpan window)
    {
        var now = clock.GetUtcNow();
        lock (gate)
        {
            return rooms.TryGetValue(room, out var state) &&
                now - state.ReadAt <= timings.LatestFreshFor &&
                state.AnyPutSeenAt < now - window &&
                (!state.PutSeenAt.TryGetValue(queueName, out var at) || at < now - window);
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
                state.Changed.TrySetResult();
            }
        }
    }

    /// <summary>A fan-out here found another instance's waiting set in <paramref name="room"/>.</summary>
    public void OtherInstanceSeen(string room)
    {
        lock (gate)
        {
            if (rooms.TryGetValue(room, out var state))
            {
                state.OthersSeenAt = clock.GetUtcNow();
                state.Changed.TrySetResult();
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
            return rooms.TryGetValue(room, out var state) && state.RecentCount(clock.GetUtcNow() - timings.BusyWindow) >= timings.BusyMessages;
        }
    }

    /// <summary>
    /// Runs one of a room's loops again after any failure it did not expect (a row it cannot read, a refused call),
    /// for as long as the room is watched: a loop that died would leave its polls unwoken and its hand-overs waiting
    /// for their take-back.
    /// </summary>
    private async Task KeepRunningAsync(string room, WatchedRoom state, Func<string, WatchedRoom, Task> loop, string what)
    {
        var stopping = lifetime.ApplicationStopping;
        while (true)
        {
            try
            {
                await loop(room, state);
                return;
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "The {What} loop of room {Room} failed; it starts again", what, room);
            }
            lock (gate)
            {
                if (state.Ended)
                {
                    return;
                }
            }
            try
            {
                await Task.Delay(timings.PauseAfterFault, clock, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WatchRoomAsync(string room, WatchedRoom state)
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
                    Task? nudged = null;
                    lock (gate)
                    {
                        nudged = interval > activeInterval ? state.Nudge.Task : null;
                    }
                    if (nudged is null)
                    {
                        await Task.Delay(interval, clock, stopping);
                    }
                    else
                    {
                        await Waits.ForAsync(nudged, interval, clock, stopping);
                    }
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
                // Nor while hand-overs may still come to this instance.
                var now = clock.GetUtcNow();
                if (state.Waiting.Count == 0 && now - state.EmptySince >= timings.EmptyGrace && !state.TakesHandOvers(now, timings.HandOverGrace))
                {
                    rooms.Remove(room);
                    state.Ended = true;
                    state.Changed.TrySetResult();
                    return;
                }
            }
            IReadOnlyDictionary<string, WriterSignal> raised;
            var readStarted = clock.GetUtcNow();
            try
            {
                using var deadline = Waits.Within(timings.WatchReadTimeout, clock, stopping);
                raised = await signals.ReadAsync(room, deadline.Token);
                latest.Read(room, raised, readStarted);
            }
            catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
            {
                logger.LogDebug(e, "Room watcher of {Room} could not read the room's signal", room);
                first = false;
                continue;
            }
            var (wakeAll, putTo, handedHere, checks) = Evaluate(state, raised, first, readStarted);
            if (receiver.Enabled && (wakeAll || first || state.HandOversPending || handedHere.Count > 0))
            {
                // By key when every new round is known; otherwise (and on a new watch, for any left over) all of them.
                await ReceiveHandOversAsync(room, state, wakeAll || first || state.HandOversPending ? null : handedHere, stopping);
            }
            List<string>? wake = null;
            lock (gate)
            {
                if (wakeAll)
                {
                    state.Epoch = new WatchEpoch();
                    wake = [.. state.Waiting.Keys];
                }
                // Fast while messages flow; when the room falls quiet, each read waits twice as long, up to the idle interval.
                interval = clock.GetUtcNow() - state.LastMessage < timings.ActiveFor ? activeInterval : Min(interval * 2, idleInterval);
            }
            first = false;
            // Precise news wakes only the polls of the queues put to, and drops what was known of those queues here.
            (wake ?? putTo)?.ForEach(polls.Put);
            checks.ForEach(c => polls.Check(c.Queue, c.MissedId));
            await SweepIfDueAsync(room, state, stopping);
        }
    }

    private async Task SweepIfDueAsync(string room, WatchedRoom state, CancellationToken stopping)
    {
        var now = clock.GetUtcNow();
        if (!receiver.Enabled || now - state.HandOversSeenAt > timings.SweepWhileHandOversSeenFor || now - state.SweptAt < timings.SweepEvery)
        {
            return;
        }
        state.SweptAt = now;
        try
        {
            // Its read bounded like the signal's (a hung call would hold up the room's wakes); tried again next time.
            using var deadline = Waits.Within(timings.WatchReadTimeout, clock, stopping);
            await sweeper.SweepAsync(room, deadline.Token);
        }
        catch (Exception e) when (e is StorageUnavailableException || (e is OperationCanceledException && !stopping.IsCancellationRequested))
        {
            logger.LogDebug(e, "Room watcher of {Room} could not sweep its hand-overs", room);
        }
    }

    /// <summary>
    /// The instance is stopping: withdraws every waiting set it published, so no round hands over to it any more.
    /// Returns the rooms where hand-overs may still be stored for it.
    /// </summary>
    public async Task<IReadOnlyList<string>> WithdrawAllAsync(CancellationToken cancellationToken)
    {
        List<string> published;
        List<string> takingHandOvers;
        var now = clock.GetUtcNow();
        lock (gate)
        {
            published = [.. rooms.Where(r => r.Value.Published.Count > 0).Select(r => r.Key)];
            takingHandOvers = [.. rooms.Where(r => r.Value.TakesHandOvers(now, timings.HandOverGrace)).Select(r => r.Key)];
        }
        await Task.WhenAll(published.Select(async room =>
        {
            try
            {
                await publisher.PublishAsync(room, [], cancellationToken);
            }
            catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
            {
                // Trusted for up to 30 s more: rounds hand over to this instance and take it back after 10 s.
                logger.LogWarning(e, "Could not withdraw the waiting polls of room {Room} while stopping", room);
            }
        }));
        return takingHandOvers;
    }

    /// <summary>
    /// What the other writers did since the last read: whether a poll of any queue may have got messages (a writer's
    /// record is incomplete, or a round put to "any queue"), else which queues were put to; and the keys of the new
    /// hand-overs to this instance.
    /// </summary>
    private (bool WakeAll, List<string>? PutTo, List<string> HandedHere, List<(string Queue, string MissedId)> Checks) Evaluate(WatchedRoom state, IReadOnlyDictionary<string, WriterSignal> raised, bool first, DateTimeOffset readStarted)
    {
        var now = clock.GetUtcNow();
        lock (gate)
        {
            var rounds = 0;
            var wakeAll = false;
            var putTo = new List<string>();
            var handedHere = new List<string>();
            var checks = new List<(string Queue, string MissedId)>();
            foreach (var (writer, signal) in raised)
            {
                if (signal.Rounds.Any(r => r.HandedOver is not null) && signal.Latest.At > state.HandOversSeenAt)
                {
                    state.HandOversSeenAt = signal.Latest.At;
                }
                if (writer == instance.Id)
                {
                    continue; // this instance's own polls were handed their messages or woken by its puts
                }
                // Rounds new to this watch that could not reach some queues: those polls answer and their pages check.
                var seenBefore = state.Seen.TryGetValue(writer, out var last) ? last : (long?)null;
                checks.AddRange(signal.Rounds
                    .Where(r => r.Missed is not null && r.LastId is not null && (seenBefore is { } s ? r.Sequence > s : r.At >= state.WatchStarted - timings.FirstReadOverlap))
                    .SelectMany(r => r.Missed!.Select(queue => (queue, r.LastId!))));
                var latest = signal.Latest.Sequence;
                if (signal.Latest.At > state.OthersSeenAt)
                {
                    state.OthersSeenAt = signal.Latest.At;
                }
                if (state.Seen.TryGetValue(writer, out var seen))
                {
                    if (latest <= seen)
                    {
                        continue;
                    }
                    var added = signal.Rounds.Where(r => r.Sequence > seen).ToList();
                    rounds += added.Count;
                    handedHere.AddRange(KeysFor(added));
                    if (signal.DroppedThrough > seen || added.Any(r => r.PutTo is null))
                    {
                        wakeAll = true;
                    }
                    else
                    {
                        putTo.AddRange(added.SelectMany(r => r.PutTo!));
                    }
                }
                else if (!first && signal.DroppedThrough == 0 && signal.Rounds.All(r => r.PutTo is not null))
                {
                    // A writer new to the room since the watch's first read, with all its rounds listed.
                    rounds += signal.Rounds.Count;
                    putTo.AddRange(signal.Rounds.SelectMany(r => r.PutTo!));
                    handedHere.AddRange(KeysFor(signal.Rounds));
                }
                else if (!first || signal.Latest.At >= state.WatchStarted - timings.FirstReadOverlap)
                {
                    rounds += signal.Rounds.Count;
                    wakeAll = true;
                }
                state.Seen[writer] = latest;
            }
            if (rounds > 0)
            {
                state.Saw(now, rounds);
                state.Changed.TrySetResult();
            }
            state.ReadAt = readStarted;
            state.PutsSeen(now, wakeAll, putTo);
            return (wakeAll, putTo.Count > 0 ? [.. putTo.Distinct(StringComparer.Ordinal)] : null, handedHere, checks);
        }
    }

    private IEnumerable<string> KeysFor(IEnumerable<SignalRound> rounds) =>
        rounds.SelectMany(r => r.HandedOver ?? []).Where(h => h.Target == instance.Id).Select(h => h.Key);

    private async Task ReceiveHandOversAsync(string room, WatchedRoom state, IReadOnlyCollection<string>? keys, CancellationToken stopping)
    {
        try
        {
            using var deadline = Waits.Within(timings.WatchReadTimeout, clock, stopping);
            await receiver.ReceiveAsync(room, keys, deadline.Token);
            state.HandOversPending = false;
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
        {
            // Looked for again on the next read, news or not: the polls they are for are waiting.
            state.HandOversPending = true;
            logger.LogDebug(e, "Room watcher of {Room} could not take this instance's hand-overs", room);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private void Release(WatchedRoom state, string queueName)
    {
        lock (gate)
        {
            if (state.Waiting.TryGetValue(queueName, out var count))
            {
                if (count <= 1)
                {
                    state.Waiting.Remove(queueName);
                    state.Changed.TrySetResult();
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

    private sealed class Registration(RoomWatcher watcher, WatchedRoom state, string queueName) : IDisposable
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
