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
/// instances in one write; the receiving side gives them to its waiting polls and claims them (removes them), then sends
/// on or puts the copies of members whose polls are no longer there; a hand-over left unclaimed is taken back by its
/// sender and put on the queues. Whoever claims a hand-over delivers what is left of it, so each copy is delivered once
/// (twice only if an instance takes longer than <see cref="TakenBackAfter"/> to remove one it gave out).
/// </summary>
public sealed class HandOverRelay(
    IHandOvers handOvers,
    QueuePuts puts,
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

    /// <summary>
    /// A hand-over not claimed this long after it was stored is taken back by its sender: far above the ~0.1 s it
    /// takes, since an instance that gave the messages to its polls and is slower than this to remove the hand-over
    /// makes the taken-back copies duplicates (which the page drops by id).
    /// </summary>
    internal static readonly TimeSpan TakenBackAfter = TimeSpan.FromSeconds(10);

    /// <summary>Hand-overs given to polls here and not yet removed, so the next look does not give them again.</summary>
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
            _ = TakeBackUnclaimedAsync(room, stored, sent);
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
        var received = (await handOvers.ReceiveAsync(room, instance.Id, keys, cancellationToken)).Where(h => dealtWith.TryAdd(h.Key, 0)).ToList();
        if (received.Count == 0)
        {
            return;
        }
        var missed = new Dictionary<string, (IReadOnlyList<string> Queues, IReadOnlyList<ChatMessage> Messages, bool Forwarded)>(StringComparer.Ordinal);
        foreach (var handOver in received)
        {
            var gone = handOver.QueueNames.Where(queue => !polls.TryHand(queue, handOver.Messages)).ToList();
            metrics.Delivered(DeliveryPath.Relay, handOver.Messages.Count * (handOver.QueueNames.Count - gone.Count));
            if (gone.Count > 0)
            {
                missed[handOver.Key] = (gone, handOver.Messages, handOver.Forwarded);
            }
        }
        // Claiming (removing) them and the puts need not hold up the watcher's next look, nor the answers above.
        _ = ClaimAndDeliverRestAsync(room, received.Select(h => h.Key).ToList(), missed);
    }

    private async Task ClaimAndDeliverRestAsync(string room, List<string> keys, Dictionary<string, (IReadOnlyList<string> Queues, IReadOnlyList<ChatMessage> Messages, bool Forwarded)> missed)
    {
        IReadOnlyList<string> claimed;
        try
        {
            claimed = await handOvers.ClaimAsync(room, instance.Id, keys, lifetime.ApplicationStopping);
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
        {
            // Left for the next look, which skips them (dealt with), or for their senders to take back.
            logger.LogDebug(e, "Could not remove {Count} hand-over(s) of room {Room}", keys.Count, room);
            return;
        }
        keys.ForEach(key => dealtWith.TryRemove(key, out _));
        // What was not claimed here its sender took back and delivers itself.
        var rest = claimed.Where(missed.ContainsKey).Select(key => missed[key]).ToList();
        if (rest.Count > 0)
        {
            await DeliverElsewhereAsync(room, rest);
        }
    }

    /// <summary>
    /// The sending side's safety net: a hand-over its target has not claimed after <see cref="TakenBackAfter"/> (the
    /// instance is gone, or far behind) is claimed back and put on its members' queues, so a lost instance loses no
    /// message for members who saw no error.
    /// </summary>
    private async Task TakeBackUnclaimedAsync(string room, IReadOnlyList<HandOverKey> stored, IReadOnlyList<HandOver> sent)
    {
        try
        {
            await Task.Delay(TakenBackAfter, clock, lifetime.ApplicationStopping);
            var missed = new List<(IReadOnlyList<string> Queues, IReadOnlyList<ChatMessage> Messages, bool Forwarded)>();
            foreach (var target in stored.GroupBy(k => k.Target))
            {
                var takenBack = await handOvers.ClaimAsync(room, target.Key, target.Select(k => k.Key).ToList(), lifetime.ApplicationStopping);
                foreach (var key in takenBack)
                {
                    var handOver = sent[stored.ToList().FindIndex(k => k.Target == target.Key && k.Key == key)];
                    missed.Add((handOver.QueueNames, handOver.Messages, Forwarded: true));
                }
            }
            if (missed.Count > 0)
            {
                logger.LogWarning("Took back {Count} hand-over(s) of room {Room} that their instance did not claim within {Seconds} s; putting them on the queues", missed.Count, room, TakenBackAfter.TotalSeconds);
                await DeliverElsewhereAsync(room, missed);
            }
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
        {
            logger.LogWarning(e, "Could not check the hand-overs of room {Room} for ones their instance never claimed", room);
        }
    }

    /// <summary>
    /// Copies whose polls were not where a hand-over expected them: sent on once to where those polls wait now, if
    /// known (cheaper than a put, a receive and a delete each), else put on their queues; then the room's signal.
    /// </summary>
    private async Task DeliverElsewhereAsync(string room, IReadOnlyList<(IReadOnlyList<string> Queues, IReadOnlyList<ChatMessage> Messages, bool Forwarded)> missed)
    {
        var putTo = new List<string>();
        var forwardedTo = new List<HandOverKey>();
        var routes = missed.Any(m => !m.Forwarded) ? await FindRoutesAsync(room, lifetime.ApplicationStopping) : Routes.None;
        foreach (var (queues, messages, forwarded) in missed)
        {
            // Once only, so a hand-over never chases a poll around.
            var onward = forwarded ? [] : ByInstance(routes, queues);
            var (stored, notHanded) = await HandOverAsync(room, routes, onward, messages, lifetime.ApplicationStopping, forwarded: true);
            forwardedTo.AddRange(stored);
            var unrouted = queues.Except(onward.Values.SelectMany(q => q)).Concat(notHanded).ToList();
            putTo.AddRange(await puts.PutAsync(room, unrouted, messages));
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

    /// <summary>Publishes which queues' polls wait here in the room (empty withdraws).</summary>
    public Task PublishAsync(string room, IReadOnlyCollection<string> queueNames, CancellationToken cancellationToken) =>
        handOvers.PublishWaitingAsync(room, instance.Id, queueNames, clock.GetUtcNow(), cancellationToken);

    /// <summary>Where polls wait elsewhere, as read at <see cref="ReadAt"/> (a <see cref="TimeProvider"/> timestamp).</summary>
    public sealed record Routes(IReadOnlyDictionary<string, string> ByQueue, long ReadAt)
    {
        public static readonly Routes None = new(new Dictionary<string, string>(StringComparer.Ordinal), 0);
    }
}

