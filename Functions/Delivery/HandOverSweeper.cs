using FunctionsChat.Storage;
using Microsoft.Extensions.Logging;

namespace FunctionsChat.Delivery;

/// <summary>
/// The net under the sender's take-back (<see cref="HandOverSender"/>), run by room watchers now and then while hand-overs are about: every hand-over of the
/// room whose newest message is older than <see cref="DeliveryTimings.SweptAfter"/> (its sender and its target are both
/// gone) goes on its members' queues and is removed. Any instance watching the room may sweep it.
/// </summary>
public sealed class HandOverSweeper(IHandOvers handOvers, HandOverSender sender, DeliveryTimings timings, TimeProvider clock, ILogger<HandOverSweeper> logger)
{
    /// <summary>Delivers the room's stale hand-overs; returns how many.</summary>
    public async Task<int> SweepAsync(string room, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - timings.SweptAfter;
        var stale = (await handOvers.ReadAllAsync(room, cancellationToken)).Where(h => h.NewestSentAt < cutoff).ToList();
        if (stale.Count > 0)
        {
            logger.LogWarning("Sweeping {Count} hand-over(s) of room {Room} that neither their sender nor their target dealt with", stale.Count, room);
            await sender.PutThenRemoveAsync(room, stale);
        }
        return stale.Count;
    }
}
