using FunctionsChat.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FunctionsChat.Delivery;

/// <summary>
/// Publishes which polls wait on this instance in a room while the room is active and another instance is about, as
/// soon as that changes (a poll moves with every answer, and a fan-out elsewhere uses the set it reads), refreshed now
/// and then; withdraws it when none waits any more. An idle room, or one with no other instance, publishes nothing.
/// Guarantees one write at a time per room: changes made during a write go out in the next.
/// </summary>
public sealed class WaitingSetPublisher(
    IHandOvers handOvers,
    HandOverReceiver receiver,
    ChatInstance instance,
    DeliveryTimings timings,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<WaitingSetPublisher> logger)
{
    /// <summary>The room's publishing loop, run by its <see cref="RoomWatcher"/> while the room is watched.</summary>
    internal async Task RunAsync(string room, WatchedRoom state)
    {
        if (!receiver.Enabled)
        {
            return;
        }
        var stopping = lifetime.ApplicationStopping;
        while (!stopping.IsCancellationRequested)
        {
            Task changed;
            lock (state.Gate)
            {
                if (state.Ended)
                {
                    return;
                }
                changed = state.Changed.Task;
            }
            await Waits.ForAsync(changed, timings.RepublishEvery, clock, stopping);
            lock (state.Gate)
            {
                if (state.Changed.Task.IsCompleted)
                {
                    state.Changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
            }
            if (await PublishIfDueAsync(room, state, stopping))
            {
                // After a round every poll of the room answers and polls again within some milliseconds: one write
                // for all of them instead of one each.
                await Task.Delay(timings.PublishSpacing, clock, CancellationToken.None);
            }
        }
    }

    /// <summary>True when it wrote.</summary>
    private async Task<bool> PublishIfDueAsync(string room, WatchedRoom state, CancellationToken stopping)
    {
        List<string> current;
        var now = clock.GetUtcNow();
        lock (state.Gate)
        {
            current = [.. state.Waiting.Keys.Take(HandOverRules.MaxQueueNames)];
            // Only where another instance is about: on a single instance nobody would read the set.
            var due = current.Count == 0
                ? state.Published.Count > 0
                : now - state.LastMessage < timings.PublishWhileActiveFor && now - state.OthersSeenAt < timings.PublishWhileActiveFor &&
                  (!state.Published.SetEquals(current) || now - state.PublishedAt >= timings.RepublishEvery);
            if (!due)
            {
                return false;
            }
        }
        try
        {
            await PublishAsync(room, current, stopping);
            lock (state.Gate)
            {
                state.Published = new HashSet<string>(current, StringComparer.Ordinal);
                state.PublishedAt = now;
                if (current.Count == 0)
                {
                    state.WithdrawnAt = now;
                }
            }
            return true;
        }
        catch (Exception e) when (e is StorageUnavailableException or OperationCanceledException)
        {
            logger.LogDebug(e, "Room watcher of {Room} could not publish which polls wait here", room);
            return true;
        }
    }

    /// <summary>Publishes which queues' polls wait here in the room (empty withdraws).</summary>
    public Task PublishAsync(string room, IReadOnlyCollection<string> queueNames, CancellationToken cancellationToken) =>
        handOvers.PublishWaitingAsync(room, instance.Id, queueNames, clock.GetUtcNow(), cancellationToken);
}
