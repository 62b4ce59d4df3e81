using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Updates;

/// <summary>
/// Cross-instance delivery without a queue call per member (<see cref="IHandOvers"/>). The sending side finds where
/// each member's poll waits, from the sets the instances publish, and hands a round's messages to each of those
/// instances in one write; the receiving side gives them to its waiting polls, and puts them on the queue of any member
/// whose poll is no longer there. Either way exactly one instance is responsible for each copy, and only it writes it.
/// </summary>
public sealed class HandOverRelay(
    IHandOvers handOvers,
    IInboxes inboxes,
    WaitingPolls polls,
    RoomSignalWriter signal,
    ChatInstance instance,
    ChatMetrics metrics,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<HandOverRelay> logger)
{
    /// <summary>A published set older than this is not trusted: its instance may be gone.</summary>
    internal static readonly TimeSpan WaitingSetFreshFor = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A round hands over only within this time of reading the sets; an instance that withdraws its set keeps taking
    /// hand-overs for <see cref="RoomWatcher.HandOverGrace"/>, which is longer, so none lands after it stopped looking.
    /// </summary>
    internal static readonly TimeSpan RoutesUsableFor = TimeSpan.FromSeconds(5);

    private readonly ChatOptions settings = options.Value;

    /// <summary>Keys of hand-overs already dealt with here whose removal has not succeeded yet, so none is delivered twice.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> dealtWith = new(StringComparer.Ordinal);

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
            foreach (var set in sets.Where(s => s.Instance != instance.Id && now - s.At < WaitingSetFreshFor))
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
        if (clock.GetElapsedTime(routes.ReadAt) > RoutesUsableFor || InboxPayload.Serialize(messages).Length > HandOverRules.MaxMessageCharacters)
        {
            return ([], all);
        }
        var sent = byInstance
            .SelectMany(p => p.Value.Chunk(HandOverRules.MaxQueueNames).Select(chunk => new HandOver(p.Key, chunk, messages, forwarded)))
            .ToList();
        try
        {
            var stored = new List<HandOverKey>();
            foreach (var batch in sent.Chunk(100))
            {
                var keys = await handOvers.SendAsync(room, batch, cancellationToken);
                stored.AddRange(batch.Select((handOver, i) => new HandOverKey(handOver.Target, keys[i])));
            }
            return (stored, []);
        }
        catch (StorageUnavailableException ex)
        {
            // Nothing of a failed batch is stored; should it have been after all, the page drops the copies by id.
            logger.LogWarning(ex, "Could not hand {Count} message(s) of room {Room} over to other instances; putting them on the queues", messages.Count, room);
            return ([], all);
        }
    }

    /// <summary>
    /// The receiving side: gives this instance's hand-overs in the room (those of <paramref name="keys"/>, or all when
    /// null) to the waiting polls, puts the rest on their queues and says so in the room's signal. Called by the room's
    /// watcher loop only, one call at a time per room.
    /// </summary>
    public async Task ReceiveAsync(string room, IReadOnlyCollection<string>? keys, CancellationToken cancellationToken)
    {
        var received = await handOvers.ReceiveAsync(room, instance.Id, keys, cancellationToken);
        var missed = new List<(IReadOnlyList<string> Queues, IReadOnlyList<ChatMessage> Messages, bool Forwarded)>();
        foreach (var handOver in received.Where(h => dealtWith.TryAdd(h.Key, 0)))
        {
            var gone = handOver.QueueNames.Where(queue => !polls.TryHand(queue, handOver.Messages)).ToList();
            metrics.Delivered(DeliveryPath.Relay, handOver.Messages.Count * (handOver.QueueNames.Count - gone.Count));
            if (gone.Count > 0)
            {
                missed.Add((gone, handOver.Messages, handOver.Forwarded));
            }
        }
        if (received.Count > 0)
        {
            // The puts and the clean-up need not hold up the watcher's next look: only this instance reads its
            // hand-overs, and those dealt with are skipped until their removal succeeds.
            _ = FinishAsync(room, missed, received.Select(h => h.Key).ToList());
        }
    }

    private async Task FinishAsync(string room, List<(IReadOnlyList<string> Queues, IReadOnlyList<ChatMessage> Messages, bool Forwarded)> missed, List<string> keys)
    {
        var putTo = new List<string>();
        var forwardedTo = new List<HandOverKey>();
        var routes = missed.Any(m => !m.Forwarded) ? await FindRoutesAsync(room, lifetime.ApplicationStopping) : Routes.None;
        foreach (var (queues, messages, forwarded) in missed)
        {
            // Where those polls wait now, if known, is cheaper than their queues (a put, a receive, a delete each);
            // once only, so a hand-over never chases a poll around.
            var onward = forwarded ? [] : ByInstance(routes, queues);
            var (stored, notHanded) = await HandOverAsync(room, routes, onward, messages, lifetime.ApplicationStopping, forwarded: true);
            forwardedTo.AddRange(stored);
            var unrouted = queues.Except(onward.Values.SelectMany(q => q)).Concat(notHanded).ToList();
            putTo.AddRange(await PutAsync(room, unrouted, messages));
        }
        if (putTo.Count > 0 || forwardedTo.Count > 0)
        {
            try
            {
                await signal.RaiseAsync(room, putTo.Distinct(StringComparer.Ordinal).ToList(), lifetime.ApplicationStopping, forwardedTo);
            }
            catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
            {
                logger.LogWarning(e, "Could not raise the signal of room {Room} after putting hand-overs on {Count} queue(s)", room, putTo.Count);
            }
        }
        try
        {
            await handOvers.CompleteAsync(room, instance.Id, keys, lifetime.ApplicationStopping);
            keys.ForEach(key => dealtWith.TryRemove(key, out _));
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
        {
            logger.LogDebug(e, "Could not remove {Count} hand-over(s) of room {Room}; the next look skips them", keys.Count, room);
        }
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

    /// <summary>The members whose polls moved on before their hand-over arrived: their queues, as any fan-out would.</summary>
    private async Task<List<string>> PutAsync(string room, IReadOnlyList<string> queues, IReadOnlyList<ChatMessage> messages)
    {
        var written = new List<string>();
        var payloads = InboxPayload.Pack(messages);
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.FanOutParallelism, CancellationToken = lifetime.ApplicationStopping };
        await Parallel.ForEachAsync(queues, parallel, async (queue, token) =>
        {
            try
            {
                foreach (var payload in payloads)
                {
                    if (!await inboxes.DeliverAsync(queue, payload, settings.InboxMessageTimeToLive, token))
                    {
                        return; // the member left meanwhile
                    }
                }
                polls.Put(queue);
                lock (written)
                {
                    written.Add(queue);
                }
                metrics.Delivered(DeliveryPath.Queue, messages.Count);
            }
            catch (StorageUnavailableException ex)
            {
                logger.LogWarning(ex, "Could not put {Count} handed-over message(s) of room {Room} on a member's queue", messages.Count, room);
            }
        });
        return written;
    }

    /// <summary>Publishes which queues' polls wait here in the room (empty withdraws).</summary>
    public Task PublishAsync(string room, IReadOnlyCollection<string> queueNames, CancellationToken cancellationToken) =>
        handOvers.PublishWaitingAsync(room, instance.Id, queueNames, clock.GetUtcNow(), cancellationToken);

    /// <summary>Where polls wait elsewhere, as read at <see cref="ReadAt"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    public sealed record Routes(IReadOnlyDictionary<string, string> ByQueue, long ReadAt)
    {
        public static readonly Routes None = new(new Dictionary<string, string>(StringComparer.Ordinal), 0);
    }
}

