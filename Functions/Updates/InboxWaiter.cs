using FunctionsChat.Messages;
using FunctionsChat.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Updates;

/// <summary>
/// The long poll's loop. While it waits, a send on this instance hands its messages straight to it
/// (<see cref="WaitingPolls"/>); otherwise it makes dequeue attempts with a growing pause between them, cut short by a
/// wake-up (the <see cref="RoomWatcher"/> seeing another instance's message, this instance putting to the queue),
/// until something arrives, the time is up, or the caller goes away.
/// </summary>
public sealed class InboxWaiter(
    IInboxes inboxes,
    WaitingPolls polls,
    RoomWatcher watcher,
    TimeProvider clock,
    IOptions<ChatOptions> options,
    ILogger<InboxWaiter> logger)
{
    public const int MaxMessagesPerReceive = 32;
    private readonly TimeSpan firstPause = TimeSpan.FromMilliseconds(options.Value.PollFirstPauseMilliseconds);
    private readonly TimeSpan wakePause = TimeSpan.FromMilliseconds(options.Value.PollWakePauseMilliseconds);
    private readonly TimeSpan pauseCap = TimeSpan.FromMilliseconds(options.Value.PollBackoffCapMilliseconds);
    private readonly TimeSpan inboxTimeToLive = options.Value.InboxMessageTimeToLive;

    /// <summary>Messages oldest first (empty when the time ran out), or null when the inbox no longer exists.</summary>
    public async Task<IReadOnlyList<ChatMessage>?> WaitAsync(string room, string queueName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var watching = watcher.Watch(room, queueName);
        using var poll = polls.Register(queueName);
        var answered = false;
        try
        {
            var deadline = clock.GetUtcNow() + timeout;
            var pause = firstPause;
            // Nothing can be waiting in a queue this instance found empty, if it put nothing there since and the watcher
            // saw no other instance's message since: then the first receive is skipped (a poll per delivered message
            // otherwise costs one empty receive). The receive after the first pause still looks.
            var receive = !polls.KnownEmpty(queueName, watcher.Epoch(room));
            while (true)
            {
                if (receive)
                {
                    var look = polls.BeginLook(queueName, watcher.Epoch(room));
                    var payloads = await inboxes.ReceiveAsync(queueName, MaxMessagesPerReceive, cancellationToken);
                    if (payloads is null)
                    {
                        answered = true; // the member is gone; nothing handed over can reach it
                        return null;
                    }
                    if (payloads.Count > 0)
                    {
                        answered = true;
                        return Ordered(payloads.SelectMany(InboxPayload.Deserialize).Concat(poll.Close()));
                    }
                    polls.FoundEmpty(queueName, look);
                }
                if (poll.HasMessages)
                {
                    answered = true;
                    return Ordered(poll.Close());
                }
                var left = deadline - clock.GetUtcNow();
                if (left <= TimeSpan.Zero)
                {
                    answered = true;
                    return Ordered(poll.Close());
                }
                var wait = pause < left ? pause : left;
                var wake = poll.Woken;
                var woken = await Task.WhenAny(wake, Task.Delay(wait, clock, cancellationToken)) == wake;
                cancellationToken.ThrowIfCancellationRequested();
                if (poll.HasMessages)
                {
                    answered = true;
                    return Ordered(poll.Close());
                }
                receive = true;
                // Woken but found nothing yet (the other instance's fan-out may still be on its way): look again soon.
                if (woken)
                {
                    poll.Rearm();
                }
                pause = woken ? wakePause : Min(pause * 2, pauseCap);
            }
        }
        finally
        {
            if (!answered)
            {
                // The caller went away or a receive failed after messages were handed over: back to the queue with them.
                await RequeueAsync(queueName, poll.Close());
            }
        }
    }

    private async Task RequeueAsync(string queueName, IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Count == 0)
        {
            return;
        }
        try
        {
            foreach (var payload in InboxPayload.Pack(Ordered(messages)))
            {
                await inboxes.DeliverAsync(queueName, payload, inboxTimeToLive, CancellationToken.None);
            }
            polls.Put(queueName);
        }
        catch (StorageUnavailableException ex)
        {
            // The member's page fills the gap from history when it reconnects.
            logger.LogWarning(ex, "Could not return {Count} handed-over message(s) to a queue after its poll ended early", messages.Count);
        }
    }

    private static List<ChatMessage> Ordered(IEnumerable<ChatMessage> messages) =>
        messages.DistinctBy(m => m.Id).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
