using System.Collections.Concurrent;
using FunctionsChat.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Delivery;

/// <summary>
/// The sending side of cross-instance delivery without a queue call per member (<see cref="IHandOvers"/>): finds where
/// each member's poll waits, from the sets the instances publish, and hands a round's messages to each of those
/// instances in one write; the receiving side is <see cref="HandOverReceiver"/>. A hand-over still stored after
/// <see cref="DeliveryTimings.TakenBackAfter"/> is taken back by its sender (here), and one older than
/// <see cref="DeliveryTimings.SweptAfter"/> by any instance watching the room (<see cref="HandOverSweeper"/>); both put
/// its copies on the queues. Guarantees every copy it is given is stored in a hand-over or returned to be put, and that
/// a copy is never lost with an instance: delivered at least once, twice when an instance is slower than that (pages
/// drop the second copy by id).
/// </summary>
public sealed class HandOverSender(
    IHandOvers handOvers,
    QueuePuts puts,
    RoomSignalWriter signal,
    ChatInstance instance,
    DeliveryTimings timings,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<HandOverSender> logger)
{
    private readonly ChatOptions settings = options.Value;

    /// <summary>Hand-overs this instance stored whose take-back is due; run at once when the instance stops.</summary>
    private readonly ConcurrentDictionary<long, PendingTakeBack> takeBacks = new();
    private long takeBackIds;

    public bool Enabled => settings.CrossInstanceHandOver;

    /// <summary>Where the polls of the room wait on other instances, by queue; empty when unknown.</summary>
    public async Task<Routes> FindRoutesAsync(string room, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return Routes.None;
        }
        try
        {
            var sets = await handOvers.ReadWaitingAsync(room, cancellationToken);
            var now = clock.GetUtcNow();
            var byQueue = new Dictionary<string, WaitingSet>(StringComparer.Ordinal);
            foreach (var set in sets.Where(s => s.Instance != instance.Id && now - s.At < timings.WaitingSetFreshFor))
            {
                foreach (var queue in set.QueueNames)
                {
                    // Listed by two instances: the poll moved, and the later set is the one that saw it arrive.
                    if (!byQueue.TryGetValue(queue, out var other) || other.At < set.At)
                    {
                        byQueue[queue] = set;
                    }
                }
            }
            return new Routes(byQueue.ToDictionary(p => p.Key, p => p.Value.Instance, StringComparer.Ordinal), clock.GetTimestamp());
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogDebug(ex, "Could not read where the polls of room {Room} wait; this round uses the queues", room);
            return Routes.None;
        }
    }

    /// <summary>
    /// Hands <paramref name="messages"/> over for every queue in <paramref name="byInstance"/>. Returns where they are
    /// stored (for the round's signal) and the queues it could not hand over (the routes are too old, the messages too
    /// long for a hand-over, storage failed): put those.
    /// </summary>
    public async Task<(IReadOnlyList<HandOverKey> Stored, IReadOnlyList<string> NotHanded)> HandOverAsync(string room, Routes routes, IReadOnlyDictionary<string, List<string>> byInstance, IReadOnlyList<ChatMessage> messages, CancellationToken cancellationToken, bool forwarded = false)
    {
        var all = byInstance.Values.SelectMany(q => q).ToList();
        if (all.Count == 0)
        {
            return ([], []);
        }
        if (clock.GetElapsedTime(routes.ReadAt) > timings.RoutesUsableFor || InboxPayload.Serialize(messages).Length > HandOverRules.MaxMessageCharacters)
        {
            return ([], all);
        }
        var sent = byInstance
            .SelectMany(p => p.Value.Chunk(HandOverRules.MaxQueueNames).Select(chunk => new HandOver(p.Key, chunk, messages, forwarded)))
            .ToList();
        var stored = new List<HandOverKey>();
        try
        {
            foreach (var batch in sent.Chunk(100))
            {
                var keys = await handOvers.SendAsync(room, batch, cancellationToken);
                stored.AddRange(batch.Select((handOver, i) => new HandOverKey(handOver.Target, keys[i])));
            }
        }
        catch (StorageUnavailableException ex)
        {
            // The batches not stored go on the queues; should a failed one have been stored after all, it is taken
            // back or swept later, and the page drops the second copy by id.
            logger.LogWarning(ex, "Could not hand {Count} message(s) of room {Room} over to other instances; putting them on the queues", messages.Count, room);
            ScheduleTakeBack(room, stored);
            return (stored, sent.Skip(stored.Count).SelectMany(h => h.QueueNames).ToList());
        }
        ScheduleTakeBack(room, stored);
        return (stored, []);
    }

    /// <summary>Tried twice: a removal that failed leaves copies to be delivered twice.</summary>
    public async Task RemoveAsync(string room, string target, IReadOnlyList<string> keys)
    {
        try
        {
            await handOvers.RemoveAsync(room, target, keys, lifetime.ApplicationStopped);
        }
        catch (StorageUnavailableException)
        {
            await handOvers.RemoveAsync(room, target, keys, lifetime.ApplicationStopped);
        }
    }

    private void ScheduleTakeBack(string room, IReadOnlyList<HandOverKey> stored)
    {
        if (stored.Count == 0)
        {
            return;
        }
        var id = Interlocked.Increment(ref takeBackIds);
        takeBacks[id] = new PendingTakeBack(room, stored);
        _ = TakeBackLaterAsync(id);
    }

    private async Task TakeBackLaterAsync(long id)
    {
        try
        {
            await Task.Delay(timings.TakenBackAfter, clock, lifetime.ApplicationStopping);
        }
        catch (OperationCanceledException)
        {
            return; // the instance is stopping: TakeBackAllNow takes it back now
        }
        if (takeBacks.TryRemove(id, out var pending))
        {
            await TakeBackAsync(pending);
        }
    }

    /// <summary>
    /// The sending side's safety net: hand-overs still stored (their target is gone, far behind, or this instance is
    /// stopping) are put on their members' queues and removed.
    /// </summary>
    private async Task TakeBackAsync(PendingTakeBack pending)
    {
        try
        {
            foreach (var target in pending.Stored.GroupBy(k => k.Target))
            {
                var left = await handOvers.ReceiveAsync(pending.Room, target.Key, target.Select(k => k.Key).ToList(), lifetime.ApplicationStopped);
                if (left.Count > 0)
                {
                    logger.LogWarning("Taking back {Count} hand-over(s) of room {Room} that their instance did not deal with within {Seconds} s", left.Count, pending.Room, timings.TakenBackAfter.TotalSeconds);
                    await PutThenRemoveAsync(pending.Room, left);
                }
            }
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
        {
            // Still stored: the next sweep of the room delivers them.
            logger.LogWarning(e, "Could not check the hand-overs of room {Room} for ones their instance never dealt with", pending.Room);
        }
    }

    /// <summary>The instance is stopping: starts every take-back still pending, at once, and returns them.</summary>
    public List<Task> TakeBackAllNow()
    {
        var pending = takeBacks.Keys.Select(id => takeBacks.TryRemove(id, out var p) ? p : null).OfType<PendingTakeBack>().ToList();
        return pending.Select(TakeBackAsync).ToList();
    }

    /// <summary>Every copy of <paramref name="rows"/> onto its queue, then the rows removed; the rows stay if any put failed.</summary>
    public async Task PutThenRemoveAsync(string room, IReadOnlyList<ReceivedHandOver> rows)
    {
        if (await DeliverElsewhereAsync(room, rows.Select(r => new MissedCopies(r.QueueNames, r.Messages, Forwarded: true)).ToList()))
        {
            foreach (var target in rows.GroupBy(r => r.Target))
            {
                await RemoveAsync(room, target.Key, target.Select(r => r.Key).ToList());
            }
        }
    }

    /// <summary>
    /// Copies whose polls were not where a hand-over expected them: sent on once to where those polls wait now, if
    /// known (cheaper than a put, a receive and a delete each), else put on their queues; then the room's signal.
    /// False when a copy could not be delivered (its members' polls are told to answer, so their pages check history).
    /// </summary>
    public async Task<bool> DeliverElsewhereAsync(string room, IReadOnlyList<MissedCopies> missed)
    {
        var stopped = lifetime.ApplicationStopped;
        var putTo = new List<string>();
        var failed = new List<string>();
        string? newestFailed = null;
        var forwardedTo = new List<HandOverKey>();
        var routes = missed.Any(m => !m.Forwarded) ? await FindRoutesAsync(room, stopped) : Routes.None;
        foreach (var (queues, messages, forwarded) in missed)
        {
            // Once only, so a hand-over never chases a poll around.
            var onward = forwarded ? [] : ByInstance(routes, queues);
            var (stored, notHanded) = await HandOverAsync(room, routes, onward, messages, stopped, forwarded: true);
            forwardedTo.AddRange(stored);
            var unrouted = queues.Except(onward.Values.SelectMany(q => q)).Concat(notHanded).ToList();
            var put = await puts.PutAsync(room, unrouted, messages);
            putTo.AddRange(put.Written);
            if (put.Failed.Count > 0)
            {
                failed.AddRange(put.Failed);
                newestFailed = new[] { newestFailed, messages[^1].Id }.Where(id => id is not null).Max(StringComparer.Ordinal);
            }
        }
        if (putTo.Count > 0 || forwardedTo.Count > 0 || failed.Count > 0)
        {
            try
            {
                await signal.RaiseAsync(room, putTo.Distinct(StringComparer.Ordinal).ToList(), stopped, forwardedTo, failed.Distinct(StringComparer.Ordinal).ToList(), newestFailed);
            }
            catch (StorageUnavailableException e)
            {
                // Retried in the background; until then the polls find queued copies on their next dequeue attempt.
                logger.LogWarning(e, "Could not raise the signal of room {Room} after delivering hand-overs elsewhere", room);
            }
        }
        return failed.Count == 0;
    }

    /// <summary>The queues of <paramref name="queues"/> that wait on another instance, by instance.</summary>
    public static Dictionary<string, List<string>> ByInstance(Routes routes, IEnumerable<string> queues)
    {
        var byInstance = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var queue in queues)
        {
            if (routes.ByQueue.TryGetValue(queue, out var waitsOn))
            {
                (byInstance.TryGetValue(waitsOn, out var list) ? list : byInstance[waitsOn] = []).Add(queue);
            }
        }
        return byInstance;
    }

    /// <summary>Where polls wait elsewhere, as read at <see cref="ReadAt"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    public sealed record Routes(IReadOnlyDictionary<string, string> ByQueue, long ReadAt)
    {
        public static readonly Routes None = new(new Dictionary<string, string>(StringComparer.Ordinal), 0);
    }

    private sealed record PendingTakeBack(string Room, IReadOnlyList<HandOverKey> Stored);
}

/// <summary>Copies of a hand-over whose polls were not waiting where it was stored; <paramref name="Forwarded"/> once sent on.</summary>
public sealed record MissedCopies(IReadOnlyList<string> Queues, IReadOnlyList<ChatMessage> Messages, bool Forwarded);
