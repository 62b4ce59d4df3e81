using FunctionsChat.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Delivery;

/// <summary>
/// The long poll's loop. While it waits, a send on this instance hands its messages straight to it
/// (<see cref="WaitingPolls"/>); otherwise it looks at its queue when woken (the <see cref="RoomWatcher"/> seeing
/// another instance's put, this instance putting to the queue), after a growing pause (a sparse safety net, see
/// <see cref="ChatOptions.PollFirstPauseMilliseconds"/>), and before answering when this instance's watcher lags
/// behind, until something arrives, the time is up, or the caller goes away. In a busy room an answer waits until its
/// oldest message is <see cref="ChatOptions.PollLingerMilliseconds"/> old, so that it carries a burst.
/// </summary>
public sealed class InboxWaiter(
    IInboxes inboxes,
    WaitingPolls polls,
    RoomWatcher watcher,
    RoomSignalWriter signal,
    DeliveryTimings timings,
    TimeProvider clock,
    IOptions<ChatOptions> options,
    ILogger<InboxWaiter> logger)
{
    public const int MaxMessagesPerReceive = 32;
    private readonly TimeSpan firstPause = TimeSpan.FromMilliseconds(options.Value.PollFirstPauseMilliseconds);
    private readonly TimeSpan pauseCap = TimeSpan.FromMilliseconds(options.Value.PollBackoffCapMilliseconds);

    private readonly TimeSpan linger = TimeSpan.FromMilliseconds(options.Value.PollLingerMilliseconds);
    private readonly TimeSpan inboxTimeToLive = options.Value.InboxMessageTimeToLive;
    private readonly TimeSpan quietFor = timings.QuietFor(options.Value);

    /// <summary>
    /// Messages oldest first (empty when the time ran out or the poll was told to answer at once), or null when the
    /// inbox no longer exists.
    /// </summary>
    public async Task<PollResult?> WaitAsync(string room, string queueName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var watching = watcher.Watch(room, queueName);
        using var poll = polls.Register(queueName);
        var held = new List<ChatMessage>();
        var answered = false;
        try
        {
            var deadline = clock.GetUtcNow() + timeout;
            DateTimeOffset? answerAt = null;
            var pause = firstPause;
            // The first receive is skipped when nothing can be waiting: this instance found the queue empty and nothing
            // was put there since, or nobody put there within the last quietFor. Otherwise a poll that follows an
            // answer, mostly on another instance, costs an empty receive per delivered message. A put not yet known
            // here wakes the poll when it is (the watcher reads it in the signal, or this instance made it).
            var receive = !polls.KnownEmpty(queueName, watcher.Epoch(room)) &&
                !(polls.NoPutHere(queueName, quietFor) && watcher.NoPutSeenTo(room, queueName, quietFor));
            while (true)
            {
                var (handed, look, answerNow) = poll.Take();
                held.AddRange(handed);
                if (answerNow)
                {
                    // A copy for this member was lost on its way, or this instance is stopping: answer with what we
                    // hold, and the page checks history.
                    answered = true;
                    return Answer(held, poll);
                }
                var looked = receive || look;
                if (looked)
                {
                    var ticket = polls.BeginLook(queueName, watcher.Epoch(room));
                    // Not cut short by the caller leaving or the instance stopping: a receive cancelled after the
                    // queue gave out its messages would lose them here (on Azure, hide them for the receive's
                    // visibility timeout, while newer messages reach the page past them). Finished, what it took goes
                    // back to the queue below. A storage call is bounded by its own timeout.
                    var payloads = await inboxes.ReceiveAsync(queueName, MaxMessagesPerReceive, CancellationToken.None);
                    if (payloads is null)
                    {
                        answered = true; // the member is gone; nothing handed over can reach it
                        return null;
                    }
                    held.AddRange(payloads.SelectMany(InboxPayload.Deserialize));
                    if (payloads.Count < MaxMessagesPerReceive)
                    {
                        // Fewer than asked for: that was all of it, so the queue is empty now as well.
                        polls.FoundEmpty(queueName, ticket);
                    }
                    cancellationToken.ThrowIfCancellationRequested();
                }
                var now = clock.GetUtcNow();
                if (held.Count > 0)
                {
                    answerAt ??= AnswerAt(room, held, now, deadline);
                }
                var until = answerAt ?? deadline;
                if (now >= until && !looked && watcher.LagsBehind(room))
                {
                    // This instance has not read the room's signal lately, so a put to this queue may have gone
                    // unseen; the next poll, on another instance, would take it as old news and skip its receive.
                    // Look once before answering.
                    receive = true;
                    continue;
                }
                if (now >= until)
                {
                    // A copy named missed while this poll was receiving is named in this answer all the same.
                    answered = true;
                    return Answer(held, poll);
                }
                if (answerAt is null && now + pause < until)
                {
                    until = now + pause;
                }
                var wake = poll.Woken;
                var woken = await Waits.ForAsync(wake, WholeMilliseconds(until - now), clock, cancellationToken);
                cancellationToken.ThrowIfCancellationRequested();
                // A pause that ran out means another dequeue attempt, after a longer pause next time; a wake says by
                // itself whether to look (see Take). While an answer lingers, only wakes bring more. At the deadline the
                // poll answers empty without a last look: the next poll looks first unless nothing can have arrived
                // (see KnownEmpty), so the look would cost an idle member a receive every poll for nothing.
                receive = !woken && answerAt is null && clock.GetUtcNow() < deadline;
                if (receive)
                {
                    pause = Min(pause * 2, pauseCap);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The caller went away or the instance is stopping: what this poll holds goes back to the queue. Should
            // that fail, a stopping instance's answer names the oldest of it, so the page fills from history (a caller
            // who went away reads history when it comes back).
            answered = true;
            var (rest, missedId) = poll.Close();
            var left = Ordered([.. held, .. rest]);
            if (left.Count > 0 && !await RequeueAsync(room, queueName, left))
            {
                return new PollResult([], Oldest(left[0].Id, missedId));
            }
            if (missedId is not null)
            {
                return new PollResult([], missedId);
            }
            throw;
        }
        finally
        {
            if (!answered)
            {
                // A receive failed after messages were handed or taken: back to the queue with them (the poll fails,
                // and the page fills from history).
                await RequeueAsync(room, queueName, [.. held, .. poll.Close().Handed]);
            }
        }
    }

    /// <summary>At once, unless the room is busy: then when the oldest message is the linger old (never past the deadline).</summary>
    private DateTimeOffset AnswerAt(string room, List<ChatMessage> messages, DateTimeOffset now, DateTimeOffset deadline)
    {
        if (linger <= TimeSpan.Zero || !watcher.IsBusy(room))
        {
            return now;
        }
        var due = messages.Min(m => m.SentAt) + linger;
        return due < deadline ? due : deadline;
    }

    /// <summary>False when the messages could not be put back: they are then only in history.</summary>
    private async Task<bool> RequeueAsync(string room, string queueName, IReadOnlyList<ChatMessage> messages)
    {
        if (messages.Count == 0)
        {
            return true;
        }
        try
        {
            await PutBackAsync(queueName, InboxPayload.Pack(Ordered(messages)));
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogWarning(ex, "Could not return {Count} message(s) to a queue after its poll ended early", messages.Count);
            return false;
        }
        polls.Put(queueName);
        try
        {
            // Other instances may hold this queue as found empty: the signal tells them it is not.
            await signal.RaiseAsync(room, [queueName], CancellationToken.None);
        }
        catch (StorageUnavailableException ex)
        {
            // The copies are on the queue; the writer tries the signal again in the background, and until then a timed
            // receive of the member's poll finds them.
            logger.LogWarning(ex, "Could not raise the signal for {Count} message(s) returned to a queue", messages.Count);
        }
        return true;
    }

    /// <summary>Tried twice: once the poll is gone these copies exist nowhere else but in history.</summary>
    private async Task PutBackAsync(string queueName, IReadOnlyList<string> payloads)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var payload in payloads)
                {
                    await inboxes.DeliverAsync(queueName, payload, inboxTimeToLive, CancellationToken.None);
                }
                return;
            }
            catch (StorageUnavailableException) when (attempt < 2)
            {
                // Once more; a payload put twice reaches the page twice, which drops the copy by id.
            }
        }
    }

    private static PollResult Answer(List<ChatMessage> held, WaitingPolls.WaitingPoll poll)
    {
        var (rest, missedId) = poll.Close();
        return new PollResult(Ordered(held.Concat(rest)), missedId);
    }

    private static string Oldest(string id, string? other) => other is not null && string.CompareOrdinal(other, id) < 0 ? other : id;

    private static List<ChatMessage> Ordered(IEnumerable<ChatMessage> messages) =>
        messages.DistinctBy(m => m.Id).OrderBy(m => m.Id, StringComparer.Ordinal).ToList();

    /// <summary>Timers count whole milliseconds: a shorter wait would end at once and never reach a tick-precise time.</summary>
    private static TimeSpan WholeMilliseconds(TimeSpan wait) => TimeSpan.FromMilliseconds(Math.Ceiling(wait.TotalMilliseconds));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

/// <summary>A long poll's answer: its messages, and the oldest message it was told a copy of went missing (or null).</summary>
public sealed record PollResult(IReadOnlyList<ChatMessage> Messages, string? MissedId);
