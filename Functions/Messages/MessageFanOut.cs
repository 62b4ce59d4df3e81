using System.Diagnostics;
using FunctionsChat.Members;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using FunctionsChat.Updates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Messages;

/// <summary>
/// Puts stored messages on the queue of every current member of their room, in parallel with a bound, with group
/// commit per room: the first send starts a round at once; sends that arrive while a round is in flight wait and go
/// out together in the next round, as one queue message per member. Puts per message fall as load rises, with no
/// added delay at low load. A member whose long poll waits on this instance gets the messages handed to that poll;
/// only the others' queues are written. Once a round's puts are done it raises the room's signal, which wakes the
/// recipients' polls waiting on other instances (<see cref="RoomWatcher"/>). Each caller's task completes when its
/// own message has been fanned out.
/// </summary>
public sealed class MessageFanOut(
    IMemberStore members,
    IInboxes inboxes,
    IRoomSignals signals,
    ChatInstance instance,
    WaitingPolls polls,
    RoomWatcher watcher,
    Presence presence,
    ChatMetrics metrics,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<MessageFanOut> logger)
{
    private readonly ChatOptions settings = options.Value;
    private readonly Lock gate = new();

    /// <summary>Rooms with a round in flight, and the sends waiting for that room's next round.</summary>
    private readonly Dictionary<string, List<Pending>> nextRound = new(StringComparer.Ordinal);

    /// <summary>
    /// Completes when <paramref name="message"/> has been put on every member's queue. The message is already in
    /// history, so the fan-out finishes even if the sender hangs up (<paramref name="cancellationToken"/> only stops
    /// the wait); it stops only on shutdown.
    /// </summary>
    public Task DeliverAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var pending = new Pending(message);
        lock (gate)
        {
            if (nextRound.TryGetValue(message.Room, out var waiting))
            {
                waiting.Add(pending);
                return pending.Done.Task.WaitAsync(cancellationToken);
            }
            nextRound[message.Room] = [];
        }
        _ = RunRoundsAsync(message.Room, [pending]);
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Runs rounds for a room until no send is waiting; the first runs synchronously up to its first await.</summary>
    private async Task RunRoundsAsync(string room, List<Pending> batch)
    {
        while (batch.Count > 0)
        {
            // The span ends and the duration is recorded before any sender is released: a send that returned was measured.
            var started = clock.GetTimestamp();
            Exception? failure = null;
            using (var span = ChatTracing.StartFanOut(room, batch[0].Sender, batch.Count))
            {
                try
                {
                    await FanOutAsync(room, batch.Select(p => p.Message).OrderBy(m => m.Id, StringComparer.Ordinal).ToList());
                }
                catch (Exception e)
                {
                    failure = e;
                    span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
                }
            }
            metrics.FanOutRound(clock.GetElapsedTime(started));
            if (failure is null)
            {
                batch.ForEach(p => p.Done.TrySetResult());
            }
            else
            {
                batch.ForEach(p => p.Done.TrySetException(failure));
            }
            lock (gate)
            {
                batch = nextRound[room];
                if (batch.Count == 0)
                {
                    nextRound.Remove(room);
                }
                else
                {
                    nextRound[room] = [];
                }
            }
        }
    }

    private async Task FanOutAsync(string room, IReadOnlyList<ChatMessage> messages)
    {
        watcher.MessagesHere(room, messages.Count);
        // Always a fresh list (one read per round, not per message): a member that just joined on another instance
        // must get what is sent from here at once; a cached list would skip it for the cache's lifetime.
        var recipients = (await members.ListAsync(room, lifetime.ApplicationStopping)).Where(m => !presence.IsExpired(m));
        var payloads = InboxPayload.Pack(messages);
        var queued = 0;
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.FanOutParallelism, CancellationToken = lifetime.ApplicationStopping };
        await Parallel.ForEachAsync(recipients, parallel, async (member, token) =>
        {
            // A poll of this member waiting here takes the messages as they are: no queue round trip at all.
            if (polls.TryHand(member.QueueName, messages))
            {
                metrics.Delivered(DeliveryPath.Handover, messages.Count);
                return;
            }
            try
            {
                foreach (var payload in payloads)
                {
                    if (!await inboxes.DeliverAsync(member.QueueName, payload, settings.InboxMessageTimeToLive, token))
                    {
                        return;
                    }
                }
                polls.Put(member.QueueName);
                Interlocked.Increment(ref queued);
                metrics.Delivered(DeliveryPath.Queue, messages.Count);
            }
            catch (StorageUnavailableException ex)
            {
                // One member's queue failing must not fail the send; that member fills the gap from history.
                logger.LogWarning(ex, "Could not deliver {Count} message(s) up to {MessageId} to one member of room {Room}", messages.Count, messages[^1].Id, room);
            }
        });
        if (queued > 0)
        {
            await RaiseSignalAsync(room, messages[^1].Id);
        }
    }

    private async Task RaiseSignalAsync(string room, string lastId)
    {
        try
        {
            await signals.RaiseAsync(room, instance.Id, lastId, lifetime.ApplicationStopping);
        }
        catch (StorageUnavailableException ex)
        {
            // The members whose polls wait elsewhere find the messages on their next dequeue attempt instead.
            logger.LogWarning(ex, "Could not raise the signal of room {Room} after fanning out up to {MessageId}", room, lastId);
        }
    }

    private sealed class Pending(ChatMessage message)
    {
        public ChatMessage Message => message;

        /// <summary>The sending request's span, the parent of the round's span when this send starts a round.</summary>
        public ActivityContext Sender { get; } = Activity.Current?.Context ?? default;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
