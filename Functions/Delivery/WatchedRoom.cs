namespace FunctionsChat.Delivery;

/// <summary>
/// What this instance knows of one room it watches: the polls waiting here, what it saw of other instances, its
/// published waiting set and the watch's epoch. Guarded by the <see cref="RoomWatcher"/>'s lock (<see cref="Gate"/>),
/// which its <see cref="WaitingSetPublisher"/> takes too.
/// </summary>
internal sealed class WatchedRoom(Lock gate, DateTimeOffset watchStarted)
{
    /// <summary>The one lock of the watcher's rooms: hold it for every read or write of this state.</summary>
    public Lock Gate => gate;

    private readonly Queue<(DateTimeOffset At, int Count)> recent = new();

    public DateTimeOffset WatchStarted => watchStarted;

    public Dictionary<string, int> Waiting { get; } = new(StringComparer.Ordinal);

    /// <summary>The latest round seen from each other instance.</summary>
    public Dictionary<string, long> Seen { get; } = new(StringComparer.Ordinal);

    /// <summary>The waiting set last published for this room (empty: none, or withdrawn).</summary>
    public HashSet<string> Published { get; set; } = new(StringComparer.Ordinal);

    public DateTimeOffset PublishedAt { get; set; }

    public DateTimeOffset WithdrawnAt { get; set; } = DateTimeOffset.MinValue;

    /// <summary>Completed when the waiting polls or the room's activity changed: the set may need publishing.</summary>
    public TaskCompletionSource Changed { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When another instance was last seen in the room: its round in the signal, or its waiting set.</summary>
    public DateTimeOffset OthersSeenAt { get; set; } = DateTimeOffset.MinValue;

    /// <summary>The watch is over; its publishing stops.</summary>
    public bool Ended { get; set; }

    /// <summary>When a round in the room's signal last stored hand-overs (any writer's, this one's too).</summary>
    public DateTimeOffset HandOversSeenAt { get; set; } = DateTimeOffset.MinValue;

    public DateTimeOffset SweptAt { get; set; } = DateTimeOffset.MinValue;

    /// <summary>When the last read of the room's signal began.</summary>
    public DateTimeOffset ReadAt { get; set; } = DateTimeOffset.MinValue;

    /// <summary>When a put to any queue may last have gone unnamed: the watch began, or a round left its queues out.</summary>
    public DateTimeOffset AnyPutSeenAt { get; private set; } = DateTimeOffset.MaxValue;

    /// <summary>When a round of another instance last named each queue.</summary>
    public Dictionary<string, DateTimeOffset> PutSeenAt { get; } = new(StringComparer.Ordinal);

    public void PutsSeen(DateTimeOffset now, bool anyQueue, IEnumerable<string> queues)
    {
        if (AnyPutSeenAt == DateTimeOffset.MaxValue)
        {
            AnyPutSeenAt = WatchStarted; // the first read: puts before the watch began were not seen
        }
        if (anyQueue || PutSeenAt.Count >= MaxQueuesRemembered)
        {
            AnyPutSeenAt = now;
            PutSeenAt.Clear();
            return;
        }
        foreach (var queue in queues)
        {
            PutSeenAt[queue] = now;
        }
    }

    /// <summary>Past this many queues named, the record starts again, as if every queue had been put to.</summary>
    private const int MaxQueuesRemembered = 4_096;

    /// <summary>A look for hand-overs failed; the next read looks again.</summary>
    public bool HandOversPending { get; set; }

    /// <summary>Hand-overs may still come: a set is published, or was withdrawn less than <see cref="DeliveryTimings.HandOverGrace"/> ago.</summary>
    public bool TakesHandOvers(DateTimeOffset now, TimeSpan grace) => Published.Count > 0 || now - WithdrawnAt < grace || HandOversPending;

    public DateTimeOffset LastMessage { get; private set; } = DateTimeOffset.MinValue;

    /// <summary>When the last waiting poll ended (meaningful while none waits).</summary>
    public DateTimeOffset EmptySince { get; set; }

    /// <summary>Completed by a message fanned out here, to end a slow watch's wait early.</summary>
    public TaskCompletionSource Nudge { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Replaced whenever another instance's signal is seen; see <see cref="RoomWatcher.Epoch"/>.</summary>
    public WatchEpoch Epoch { get; set; } = new();

    public void Saw(DateTimeOffset at, int count)
    {
        LastMessage = at;
        recent.Enqueue((at, count));
        while (recent.Count > 64)
        {
            recent.Dequeue();
        }
    }

    public int RecentCount(DateTimeOffset since)
    {
        while (recent.TryPeek(out var oldest) && oldest.At < since)
        {
            recent.Dequeue();
        }
        return recent.Sum(r => r.Count);
    }
}
