using System.Collections.Concurrent;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Delivery;

/// <summary>
/// The receiving side of a hand-over: gives this instance's hand-overs in a room to the polls waiting here, sends on
/// or puts the copies of members whose polls are no longer here (<see cref="HandOverSender.DeliverElsewhereAsync"/>), and only then
/// removes the hand-over. Guarantees a hand-over is given to the polls here once however often it is read before its
/// removal, and is removed only after every copy in it is delivered or stored again.
/// </summary>
public sealed class HandOverReceiver(
    IHandOvers handOvers,
    WaitingPolls polls,
    HandOverSender sender,
    ChatInstance instance,
    DeliveryTimings timings,
    ChatMetrics metrics,
    TimeProvider clock,
    IOptions<ChatOptions> options,
    ILogger<HandOverReceiver> logger)
{
    /// <summary>Bounds the memory of hand-overs dealt with here; older entries go first.</summary>
    internal const int MaxDealtWith = 10_000;

    /// <summary>Hand-overs given to polls here and not yet removed, so the next look does not give them again.</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> dealtWith = new(StringComparer.Ordinal);

    /// <summary>Hand-overs are on: other instances may store them for this one.</summary>
    public bool Enabled => options.Value.CrossInstanceHandOver;

    /// <summary>
    /// Gives this instance's hand-overs in the room (those of <paramref name="keys"/>, or all when null) to the waiting
    /// polls, then delivers the rest elsewhere and removes them. Called by the room's watcher loop only, one call at a
    /// time per room.
    /// </summary>
    public async Task ReceiveAsync(string room, IReadOnlyCollection<string>? keys, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var received = (await handOvers.ReceiveAsync(room, instance.Id, keys, cancellationToken)).Where(h => dealtWith.TryAdd(h.Key, now)).ToList();
        if (received.Count == 0)
        {
            return;
        }
        ForgetOldDealtWith(now);
        var missed = new List<MissedCopies>();
        foreach (var handOver in received)
        {
            var gone = handOver.QueueNames.Where(queue => !polls.TryHand(queue, handOver.Messages)).ToList();
            metrics.Delivered(DeliveryPath.Relay, handOver.Messages.Count * (handOver.QueueNames.Count - gone.Count));
            if (gone.Count > 0)
            {
                missed.Add(new MissedCopies(gone, handOver.Messages, handOver.Forwarded));
            }
        }
        // Neither holds up the watcher's next look, nor the answers above.
        _ = DeliverRestThenRemoveAsync(room, received, missed);
    }

    /// <summary>
    /// The instance is stopping and its watchers no longer look: starts putting on the queues the hand-overs stored for
    /// it in <paramref name="rooms"/> that it has not dealt with, and returns that work.
    /// </summary>
    public IEnumerable<Task> HandBackAll(IReadOnlyCollection<string> rooms, CancellationToken cancellationToken) =>
        rooms.Select(async room =>
        {
            try
            {
                var mine = (await handOvers.ReceiveAsync(room, instance.Id, null, cancellationToken)).Where(h => !dealtWith.ContainsKey(h.Key)).ToList();
                if (mine.Count > 0)
                {
                    await sender.PutThenRemoveAsync(room, mine);
                }
            }
            catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
            {
                logger.LogWarning(e, "Could not hand back the hand-overs of room {Room} while stopping; their senders take them back", room);
            }
        });

    /// <summary>
    /// Removal comes last: should this instance stop or fail before it, the hand-over is still stored and its sender
    /// (or a sweep) delivers it again; should the removal's answer be lost, a retry finds it gone, which is no error.
    /// </summary>
    private async Task DeliverRestThenRemoveAsync(string room, IReadOnlyList<ReceivedHandOver> received, IReadOnlyList<MissedCopies> missed)
    {
        try
        {
            if (missed.Count > 0 && !await sender.DeliverElsewhereAsync(room, missed))
            {
                return; // left stored: taken back by its sender, or swept
            }
            var keys = received.Select(h => h.Key).ToList();
            await sender.RemoveAsync(room, instance.Id, keys);
            keys.ForEach(key => dealtWith.TryRemove(key, out _));
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
        {
            // Left stored and remembered as dealt with: its sender takes it back, and the page drops the copies it
            // already has by id.
            logger.LogDebug(e, "Could not finish {Count} hand-over(s) of room {Room}", received.Count, room);
        }
    }

    private void ForgetOldDealtWith(DateTimeOffset now)
    {
        if (dealtWith.Count <= MaxDealtWith)
        {
            return;
        }
        // Those still here failed to be removed; their senders took them back long ago.
        foreach (var old in dealtWith.Where(d => now - d.Value > timings.SweptAfter).ToList())
        {
            dealtWith.TryRemove(old);
        }
    }
}
