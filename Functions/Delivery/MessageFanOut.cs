using System.Diagnostics;
using FunctionsChat.Members;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FunctionsChat.Delivery;

/// <summary>
/// Puts stored messages on the queue of every current member of their room, in parallel with a bound, with group
/// commit per room: the first send starts a round at once; sends that arrive while a round is in flight wait and go
/// out together in the next round, as one queue message per member. Puts per message fall as load rises, with no
/// added delay at low load. A member whose long poll waits on this instance gets the messages handed to that poll;
/// those whose polls wait on other instances get them through one hand-over per instance (<see cref="HandOverSender"/>);
/// only the others' queues are written. Once a round is out it raises the room's signal, naming the queues it put
/// to, which wakes the recipients' polls waiting on other instances (<see cref="RoomWatcher"/>). Each caller's task
/// completes when its own message has been fanned out.
/// </summary>
public sealed class MessageFanOut(
    IMemberStore members,
    QueuePuts puts,
    RoomSignalWriter signal,
    HandOverSender sender,
    WaitingPolls polls,
    RoomWatcher watcher,
    RoomLatest latest,
    DeliveryTimings timings,
    Presence presence,
    ChatMetrics metrics,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    ILogger<MessageFanOut> logger)
{

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
                return Waits.ForAsync(pending.Done.Task, cancellationToken);
            }
            nextRound[message.Room] = [];
        }
        _ = RunRoundsAsync(message.Room, [pending]);
        return Waits.ForAsync(pending.Done.Task, cancellationToken);
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
        // A round in flight runs to its end while the instance stops: its messages are stored, their copies not yet.
        var stopped = lifetime.ApplicationStopped;
        // Always a fresh list (one read per round, not per message): a member that just joined on another instance
        // must get what is sent from here at once; a cached list would skip it for the cache's lifetime. Where the
        // polls wait is read alongside it.
        var routesRead = sender.FindRoutesAsync(room, stopped);
        var recipients = (await members.ListAsync(room, stopped)).Where(m => !presence.IsExpired(m)).ToList();
        var routes = await routesRead;
        if (routes.ByQueue.Count > 0)
        {
            watcher.OtherInstanceSeen(room);
        }
        var toQueue = new List<string>();
        var elsewhere = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var member in recipients)
        {
            // A poll of this member waiting here takes the messages as they are: no storage call at all.
            if (polls.TryHand(member.QueueName, messages))
            {
                metrics.Delivered(DeliveryPath.Handover, messages.Count);
            }
            else if (routes.ByQueue.TryGetValue(member.QueueName, out var waitsOn))
            {
                (elsewhere.TryGetValue(waitsOn, out var queues) ? queues : elsewhere[waitsOn] = []).Add(member.QueueName);
            }
            else
            {
                toQueue.Add(member.QueueName);
            }
        }
        var putting = puts.PutAsync(room, toQueue, messages);
        var (handedOver, notHanded) = await sender.HandOverAsync(room, routes, elsewhere, messages, stopped);
        if (handedOver.Count > 0 && !putting.IsCompleted)
        {
            // The hand-overs are stored: their instances may take them now, without waiting for the puts. Should this
            // write fail, the round's last one carries them.
            await TryRaiseEarlyAsync(room, handedOver);
            handedOver = [];
        }
        var put = await putting;
        if (notHanded.Count > 0)
        {
            var more = await puts.PutAsync(room, [.. notHanded], messages);
            put.Written.AddRange(more.Written);
            put.Failed.AddRange(more.Failed);
        }
        var lastId = messages[^1].Id;
        // Other instances learn of the copies that could not be put from the signal; this one's next polls from here.
        put.Failed.ForEach(queue => polls.Check(queue, lastId));
        await RaiseAsync(room, put, handedOver, lastId);
        latest.FannedOut(room, lastId);
    }

    private async Task TryRaiseEarlyAsync(string room, IReadOnlyList<HandOverKey> handedOver)
    {
        try
        {
            await signal.RaiseAsync(room, [], lifetime.ApplicationStopped, handedOver);
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogDebug(ex, "Could not raise the signal of room {Room} for its hand-overs early", room);
        }
    }

    /// <summary>
    /// Every round ends with a raise, which names the newest message it fanned out (what every poll answer reports,
    /// so a page missing it reads history) and the queues it could not write (their polls answer at once). A round is
    /// done only once that is written: else its sends answer 503 and a retry with the same clientMessageId fans out again.
    /// </summary>
    private async Task RaiseAsync(string room, PutResult put, IReadOnlyList<HandOverKey> handedOver, string lastId)
    {
        try
        {
            await signal.RaiseAsync(room, put.Written, lifetime.ApplicationStopped, handedOver, put.Failed, lastId, fannedOutThrough: lastId);
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogWarning(ex, "Could not raise the signal of room {Room} after fanning out up to {MessageId}; trying once more", room, lastId);
            await Task.Delay(timings.RoundRaiseRetryPause, clock, lifetime.ApplicationStopped);
            await signal.FlushAsync(room, lifetime.ApplicationStopped);
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
