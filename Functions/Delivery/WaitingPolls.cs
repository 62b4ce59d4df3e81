using System.Collections.Concurrent;
using FunctionsChat.Members;
using FunctionsChat.Storage;

namespace FunctionsChat.Delivery;

/// <summary>
/// The long polls waiting on this instance, by member queue. A fan-out on this instance hands messages straight to a
/// waiting poll of the recipient instead of putting them on its queue (no put, receive or delete); the queue is the
/// path for everything else: members between two polls, polls on other instances. <see cref="Wake"/> makes a waiting
/// poll look at its queue (the room watcher saw another instance's message; the member left, <see cref="IMemberDepartures"/>).
/// </summary>
/// <remarks>
/// Also remembers which queues this instance last found empty, and when it last put to each, so a member's next poll
/// can skip its first receive when nothing can have arrived since (see <see cref="KnownEmpty"/> and
/// <see cref="NoPutHere"/>).
/// </remarks>
public sealed class WaitingPolls(DeliveryTimings timings, TimeProvider clock) : IMemberDepartures
{
    /// <summary>Bounds the memory of empty queues; past it the map is dropped and polls simply receive first.</summary>
    internal const int MaxKnownEmptyQueues = 100_000;

    private readonly ConcurrentDictionary<string, PollList> waiting = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, LookTicket> knownEmpty = new(StringComparer.Ordinal);
    private volatile bool stopping;

    /// <summary>When this instance last put to each queue (bounded like the empty queues).</summary>
    private readonly ConcurrentDictionary<string, DateTimeOffset> putHere = new(StringComparer.Ordinal);
    private DateTimeOffset anyPutHereAt = DateTimeOffset.MinValue;

    /// <summary>Copies that could not be put for a member with no poll waiting here then (see <see cref="Check"/>).</summary>
    private readonly ConcurrentDictionary<string, (string Id, DateTimeOffset At)> missed = new(StringComparer.Ordinal);

    /// <summary>Registers a poll of <paramref name="queueName"/>; dispose it (after <see cref="WaitingPoll.Close"/>) when the poll ends.</summary>
    public WaitingPoll Register(string queueName)
    {
        var poll = new WaitingPoll(this, queueName);
        while (true)
        {
            var list = waiting.GetOrAdd(queueName, _ => new PollList());
            lock (list)
            {
                // A list emptied and dropped by the last poll's Unregister meanwhile: take a fresh one.
                if (!list.Detached)
                {
                    list.Add(poll);
                    if (stopping)
                    {
                        poll.AnswerNow(null);
                    }
                    else if (TakeMissed(queueName) is { } missedId)
                    {
                        poll.AnswerNow(missedId);
                    }
                    return poll;
                }
            }
        }
    }

    /// <summary>True when a poll of <paramref name="queueName"/> waiting here took <paramref name="messages"/>.</summary>
    public bool TryHand(string queueName, IReadOnlyList<ChatMessage> messages)
    {
        if (!waiting.TryGetValue(queueName, out var list))
        {
            return false;
        }
        lock (list)
        {
            return list.Any(poll => poll.TryTake(messages));
        }
    }

    /// <summary>True while a poll of <paramref name="queueName"/> waits on this instance.</summary>
    internal bool IsWaiting(string queueName) => waiting.ContainsKey(queueName);

    /// <summary>Wakes the polls of <paramref name="queueName"/> waiting here, to look at the queue.</summary>
    public void Wake(string queueName)
    {
        knownEmpty.TryRemove(queueName, out _);
        if (waiting.TryGetValue(queueName, out var list))
        {
            lock (list)
            {
                list.ForEach(poll => poll.Wake());
            }
        }
    }

    /// <summary>
    /// Something was put on <paramref name="queueName"/> (by this instance or, as its signal says, another): no longer
    /// known empty, and its polls waiting here look at once.
    /// </summary>
    public void Put(string queueName)
    {
        if (putHere.Count >= MaxKnownEmptyQueues)
        {
            putHere.Clear();
            anyPutHereAt = clock.GetUtcNow();
        }
        putHere[queueName] = clock.GetUtcNow();
        Wake(queueName);
    }

    /// <summary>This instance put nothing to <paramref name="queueName"/> within <paramref name="window"/>.</summary>
    public bool NoPutHere(string queueName, TimeSpan window)
    {
        var since = clock.GetUtcNow() - window;
        return anyPutHereAt < since && (!putHere.TryGetValue(queueName, out var at) || at < since);
    }

    /// <summary>
    /// Call before a receive of <paramref name="queueName"/>, with the room's watch epoch then; pass the ticket to
    /// <see cref="FoundEmpty"/> if the receive took all there was. Until then the queue is not known empty.
    /// </summary>
    public LookTicket? BeginLook(string queueName, WatchEpoch? roomEpoch)
    {
        if (roomEpoch is null)
        {
            knownEmpty.TryRemove(queueName, out _);
            return null;
        }
        if (knownEmpty.Count >= MaxKnownEmptyQueues)
        {
            knownEmpty.Clear();
        }
        var ticket = new LookTicket(roomEpoch);
        knownEmpty[queueName] = ticket;
        return ticket;
    }

    /// <summary>
    /// The receive that <paramref name="ticket"/> began came back empty. Only marks the queue empty if nothing was put
    /// there meanwhile: a put (<see cref="Put"/>, this instance's or one another instance's signal tells of) removes the
    /// ticket, so a put that landed just after the receive looked is never hidden behind a stale mark.
    /// </summary>
    public void FoundEmpty(string queueName, LookTicket? ticket)
    {
        if (ticket is not null && knownEmpty.TryGetValue(queueName, out var current) && ReferenceEquals(current, ticket))
        {
            ticket.Empty = true;
        }
    }

    /// <summary>
    /// True when this instance found the queue empty, put nothing on it since, and the room watcher has seen no
    /// message from another instance since (the same <paramref name="roomEpoch"/>).
    /// </summary>
    public bool KnownEmpty(string queueName, WatchEpoch? roomEpoch) =>
        roomEpoch is not null && knownEmpty.TryGetValue(queueName, out var current) && current.Empty && ReferenceEquals(current.Epoch, roomEpoch);

    /// <summary>
    /// A copy of message <paramref name="missedId"/> for <paramref name="queueName"/> could not be delivered: its polls
    /// waiting here answer at once, naming it, so the member's page reads it from history.
    /// </summary>
    public void Check(string queueName, string missedId)
    {
        // Kept first, then taken by a waiting poll: a poll that registers meanwhile finds one or the other. Kept, it
        // answers the member's next poll here, should none wait now (between two polls, the copy would go unnoticed).
        if (missed.Count >= MaxKnownEmptyQueues)
        {
            missed.Clear();
        }
        var now = clock.GetUtcNow();
        missed.AddOrUpdate(queueName, (missedId, now), (_, kept) =>
            now - kept.At < timings.MissedKeptFor && string.CompareOrdinal(kept.Id, missedId) < 0 ? kept : (missedId, now));
        if (waiting.TryGetValue(queueName, out var list))
        {
            lock (list)
            {
                if (list.Count > 0 && TakeMissed(queueName) is { } oldest)
                {
                    list.ForEach(poll => poll.AnswerNow(oldest));
                }
            }
        }
    }

    /// <summary>The oldest copy for <paramref name="queueName"/> missed lately, if any: taken (the page reads from before it).</summary>
    private string? TakeMissed(string queueName) =>
        missed.TryRemove(queueName, out var kept) && clock.GetUtcNow() - kept.At < timings.MissedKeptFor ? kept.Id : null;

    /// <summary>
    /// The instance is stopping: every poll waiting here, and every one that starts from now on, answers at once with
    /// what it holds, so its page polls again elsewhere and checks what it missed, instead of losing the connection.
    /// </summary>
    public void AnswerAll()
    {
        stopping = true;
        foreach (var list in waiting.Values)
        {
            lock (list)
            {
                list.ForEach(poll => poll.AnswerNow(null));
            }
        }
    }

    /// <summary>A member left or expired: wakes its polls (they find the queue gone) and drops what is known of it.</summary>
    public void Departed(string queueName) => Wake(queueName);

    private void Unregister(WaitingPoll poll)
    {
        if (waiting.TryGetValue(poll.QueueName, out var list))
        {
            lock (list)
            {
                list.Remove(poll);
                if (list.Count == 0)
                {
                    list.Detached = true;
                    waiting.TryRemove(new KeyValuePair<string, PollList>(poll.QueueName, list));
                }
            }
        }
    }

    /// <summary>Identifies one receive of a queue, from <see cref="BeginLook"/>: only the queue's newest may mark it empty.</summary>
    public sealed class LookTicket
    {
        internal LookTicket(WatchEpoch epoch) => Epoch = epoch;

        /// <summary>The room's watch epoch when the receive began.</summary>
        internal WatchEpoch Epoch { get; }

        internal volatile bool Empty;
    }

    private sealed class PollList : List<WaitingPoll>
    {
        public bool Detached { get; set; }
    }

    /// <summary>One waiting poll: collects handed messages until it is closed.</summary>
    public sealed class WaitingPoll(WaitingPolls owner, string queueName) : IDisposable
    {
        private readonly Lock gate = new();
        private readonly List<ChatMessage> handed = [];
        private TaskCompletionSource woken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private bool lookRequested;
        private bool answerNow;
        private string? missedId;
        private bool closed;

        public string QueueName => queueName;

        /// <summary>Completes when messages are handed over or the poll is woken; see <see cref="Take"/>.</summary>
        public Task Woken
        {
            get
            {
                lock (gate)
                {
                    return woken.Task;
                }
            }
        }

        /// <summary>
        /// Takes what was handed over since the last call, whether the poll was asked to look at its queue
        /// (<see cref="WaitingPolls.Wake"/>), and whether it must answer at once (<see cref="WaitingPolls.Check"/>,
        /// <see cref="WaitingPolls.AnswerAll"/>; the missed message to name comes with <see cref="Close"/>); the next
        /// <see cref="Woken"/> then waits for something new. The poll stays open for more.
        /// </summary>
        public (IReadOnlyList<ChatMessage> Handed, bool Look, bool AnswerNow) Take()
        {
            lock (gate)
            {
                var taken = handed.ToList();
                handed.Clear();
                var look = lookRequested;
                lookRequested = false;
                if (woken.Task.IsCompleted && !answerNow)
                {
                    woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                }
                return (taken, look, answerNow);
            }
        }

        /// <summary>
        /// Stops taking messages and returns those handed over, which the caller must answer with or requeue, and the
        /// oldest missed message named to this poll, if any (an answer must name it, even one that ends for another reason).
        /// </summary>
        public (IReadOnlyList<ChatMessage> Handed, string? MissedId) Close()
        {
            lock (gate)
            {
                closed = true;
                var taken = handed.ToList();
                handed.Clear();
                return (taken, missedId);
            }
        }

        public void Dispose()
        {
            lock (gate)
            {
                closed = true;
            }
            owner.Unregister(this);
        }

        internal bool TryTake(IReadOnlyList<ChatMessage> messages)
        {
            lock (gate)
            {
                if (closed)
                {
                    return false;
                }
                handed.AddRange(messages);
                woken.TrySetResult();
                return true;
            }
        }

        /// <summary>Makes the poll answer at once; the oldest missed message named wins, as the page reads history from before it.</summary>
        internal void AnswerNow(string? missed)
        {
            lock (gate)
            {
                answerNow = true;
                if (missed is not null && (missedId is null || string.CompareOrdinal(missed, missedId) < 0))
                {
                    missedId = missed;
                }
                woken.TrySetResult();
            }
        }

        internal void Wake()
        {
            lock (gate)
            {
                lookRequested = true;
                woken.TrySetResult();
            }
        }
    }
}
