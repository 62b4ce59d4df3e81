using System.Collections.Concurrent;

namespace FunctionsChat.Bench;

/// <summary>What the page-like members (<see cref="PageClient"/>) had to do to show every message; thread-safe counters.</summary>
public sealed class PageStats
{
    private readonly ConcurrentDictionary<int, byte> membersThatFilled = new();
    private long gapFills;
    private long historyReads;
    private long overlapDropped;
    private long pollDuplicatesDropped;
    private long apiDuplicateCopies;
    private long membershipLost;
    private long sendRetries;
    private long sendsGivenUp;
    private long longestGapTicks;
    private long completenessFills;
    private long completenessFound;

    public long GapFills => Interlocked.Read(ref gapFills);

    public void HistoryRead() => Interlocked.Increment(ref historyReads);

    /// <summary>A gap fill finished: <paramref name="gap"/> is from the first failed request to now.</summary>
    public void FillDone(int member, int alreadyHeld, TimeSpan gap)
    {
        Interlocked.Increment(ref gapFills);
        membersThatFilled.TryAdd(member, 0);
        Interlocked.Add(ref overlapDropped, alreadyHeld);
        long seen;
        while (gap.Ticks > (seen = Interlocked.Read(ref longestGapTicks)) && Interlocked.CompareExchange(ref longestGapTicks, gap.Ticks, seen) != seen)
        {
        }
    }

    /// <summary>A completeness fill read history because an answer named a message that never came; it found <paramref name="found"/>.</summary>
    public void CompletenessFillDone(int member, int found)
    {
        Interlocked.Increment(ref completenessFills);
        Interlocked.Add(ref completenessFound, found);
    }

    public void PollDuplicatesDropped(int count) => Interlocked.Add(ref pollDuplicatesDropped, count);

    /// <summary>Copies a poll brought of a message that an earlier poll of the same member had already brought.</summary>
    public void ApiDuplicateCopies(int count) => Interlocked.Add(ref apiDuplicateCopies, count);

    public void MembershipLost() => Interlocked.Increment(ref membershipLost);

    public void SendRetried() => Interlocked.Increment(ref sendRetries);

    public void SendGaveUp() => Interlocked.Increment(ref sendsGivenUp);

    public PageResult ToResult(Tally tally)
    {
        var fills = tally.FillLatencies();
        var all = tally.Latencies(_ => true);
        return new PageResult(
            tally.Missing(),
            tally.ShownThoughSendFailed(),
            tally.Duplicates,
            Interlocked.Read(ref pollDuplicatesDropped),
            Interlocked.Read(ref overlapDropped),
            GapFills,
            membersThatFilled.Count,
            Interlocked.Read(ref historyReads),
            fills.Count,
            Percentiles.Of(fills),
            all.Count == 0 ? null : Math.Round(all.Max(), 1),
            GapFills == 0 ? null : Math.Round(TimeSpan.FromTicks(Interlocked.Read(ref longestGapTicks)).TotalMilliseconds, 1),
            Interlocked.Read(ref membershipLost),
            Interlocked.Read(ref sendRetries),
            Interlocked.Read(ref sendsGivenUp),
            Interlocked.Read(ref apiDuplicateCopies),
            all.Count(ms => ms > 5_000),
            all.Count(ms => ms > 35_000),
            Interlocked.Read(ref completenessFills),
            Interlocked.Read(ref completenessFound));
    }
}

/// <summary>
/// What a person on the page would have seen. Lost: accepted messages a member never showed, polls and gap fills
/// together. Duplicates shown: the same message twice at one member after the de-duplication by id (0 unless one
/// message was stored twice). The dropped counts are what the de-duplication removed: copies the polls brought
/// (what strict mode counts as duplicates) and the overlap a fill re-reads on purpose. API duplicate copies: a poll
/// brought a message an earlier poll of the same member had already brought (the delivery path's at-least-once
/// copies; one a fill showed first is not counted). Later than 5 s / 35 s: deliveries (first shown, by poll or fill)
/// that many seconds or more after their send began. Completeness fills: history reads because an answer named a
/// message the member did not get within the grace, and the messages they found.
/// </summary>
public sealed record PageResult(
    long LostAfterGapFill,
    long ShownThoughSendFailed,
    int DuplicatesShown,
    long PollDuplicatesDroppedById,
    long OverlapDroppedById,
    long GapFills,
    int MembersThatFilled,
    long GapFillHistoryReads,
    int MessagesFirstSeenInFill,
    Percentiles? FillLatencyMs,
    double? LongestDelayMs,
    double? LongestGapMs,
    long MembershipLost,
    long SendRetries,
    long SendsGivenUp,
    long ApiDuplicateCopies = 0,
    int DeliveriesLaterThan5s = 0,
    int DeliveriesLaterThan35s = 0,
    long CompletenessFills = 0,
    long CompletenessFillFound = 0);
