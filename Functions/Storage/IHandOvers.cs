namespace FunctionsChat.Storage;

/// <summary>
/// How a fan-out reaches polls waiting on other instances without a queue call per member. Each instance publishes
/// which members' polls wait on it in a room; a sending instance hands the messages for those members to that
/// instance in one write, and the receiving instance gives them to its polls (or puts them on the queues of members
/// no longer waiting there). A hand-over is removed only after every copy in it was delivered, so a row that is still
/// there after a while is delivered again by someone else: copies are delivered at least once, never dropped.
/// </summary>
public interface IHandOvers
{
    /// <summary>Replaces what <paramref name="instance"/> published for the room; an empty list withdraws it.</summary>
    Task PublishWaitingAsync(string room, string instance, IReadOnlyCollection<string> queueNames, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>What every instance last published for the room, withdrawn ones left out.</summary>
    Task<IReadOnlyList<WaitingSet>> ReadWaitingAsync(string room, CancellationToken cancellationToken);

    /// <summary>Stores every hand-over, or (on failure) none of them; returns their keys, in order.</summary>
    Task<IReadOnlyList<string>> SendAsync(string room, IReadOnlyList<HandOver> handOvers, CancellationToken cancellationToken);

    /// <summary>
    /// The hand-overs to <paramref name="instance"/> in the room not yet completed, oldest messages first: those of
    /// <paramref name="keys"/> (point reads), or every one when <paramref name="keys"/> is null (a range query).
    /// </summary>
    Task<IReadOnlyList<ReceivedHandOver>> ReceiveAsync(string room, string instance, IReadOnlyCollection<string>? keys, CancellationToken cancellationToken);

    /// <summary>Every hand-over in the room, whatever its target: for sweeping up those nobody delivered.</summary>
    Task<IReadOnlyList<ReceivedHandOver>> ReadAllAsync(string room, CancellationToken cancellationToken);

    /// <summary>
    /// Removes the hand-overs of <paramref name="keys"/> to <paramref name="target"/>, once their copies are delivered.
    /// Idempotent: removing one that is gone already is no error, so a retry after an answer that was lost is safe.
    /// </summary>
    Task RemoveAsync(string room, string target, IReadOnlyList<string> keys, CancellationToken cancellationToken);
}

public sealed record WaitingSet(string Instance, IReadOnlyList<string> QueueNames, DateTimeOffset At);

/// <param name="Forwarded">Sent on by an instance whose polls had moved on: it is not sent on again.</param>
public sealed record HandOver(string Target, IReadOnlyList<string> QueueNames, IReadOnlyList<ChatMessage> Messages, bool Forwarded = false);

public sealed record ReceivedHandOver(string Target, string Key, IReadOnlyList<string> QueueNames, IReadOnlyList<ChatMessage> Messages, bool Forwarded = false)
{
    /// <summary>When its newest message was accepted: a hand-over is never older than that.</summary>
    public DateTimeOffset NewestSentAt => Messages.Max(m => m.SentAt);
}

/// <summary>The size limits every <see cref="IHandOvers"/> store keeps (a Table property holds 32 K characters).</summary>
public static class HandOverRules
{
    /// <summary>At most this many queue names in one waiting set or hand-over; the rest take the queue path.</summary>
    public const int MaxQueueNames = 500;

    /// <summary>The messages of one hand-over, as JSON, fit one property.</summary>
    public const int MaxMessageCharacters = 30_000;

    public static void Check(HandOver handOver)
    {
        RoomSignalRules.CheckWriter(handOver.Target);
        if (handOver.QueueNames.Count is 0 or > MaxQueueNames || handOver.Messages.Count == 0)
        {
            throw new ArgumentException($"A hand-over names 1 to {MaxQueueNames} queues and carries at least one message.", nameof(handOver));
        }
    }

    public static void CheckWaiting(IReadOnlyCollection<string> queueNames)
    {
        if (queueNames.Count > MaxQueueNames)
        {
            throw new ArgumentException($"A waiting set names at most {MaxQueueNames} queues.", nameof(queueNames));
        }
    }
}
