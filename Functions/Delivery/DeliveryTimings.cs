namespace FunctionsChat.Delivery;

/// <summary>
/// Every interval, grace period and limit of delivery in one table, with the rules between them checked at start-up
/// (<see cref="Check"/>, run by the options validator) rather than kept in comments. The settings a deployment may
/// change live in <see cref="ChatOptions"/> (the poll's back-off and linger, the room watcher's pace); these are the
/// app's own, one instance in the container (tests and the simulation may register another).
/// </summary>
public sealed record DeliveryTimings
{
    public static readonly DeliveryTimings Default = new();

    // ---- the room watcher (RoomWatcher) ----

    /// <summary>A room stays active, and watched at the fast interval, this long after its last message.</summary>
    public TimeSpan ActiveFor { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>A room is busy (answers may linger) with at least <see cref="BusyMessages"/> within <see cref="BusyWindow"/>.</summary>
    public int BusyMessages { get; init; } = 3;

    public TimeSpan BusyWindow { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A room's watch ends this long after its last waiting poll did, not before.</summary>
    public TimeSpan EmptyGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The first read of a new watch wakes for signals this recent: a poll may have looked just before them.</summary>
    public TimeSpan FirstReadOverlap { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The watcher gives up a read of the signal or of its hand-overs after this long and reads again: a call that hangs
    /// for the storage client's network timeout (10 s) would leave the room's polls here unwoken all that while.
    /// </summary>
    public TimeSpan WatchReadTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long a room's loop that failed unexpectedly waits before it runs again.</summary>
    public TimeSpan PauseAfterFault { get; init; } = TimeSpan.FromSeconds(1);

    // ---- waiting sets and hand-overs (RoomWatcher, HandOverSender, HandOverReceiver, HandOverSweeper) ----

    /// <summary>The waiting set is published while the room had a message (and another instance was seen) this recently.</summary>
    public TimeSpan PublishWhileActiveFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A published set is written again this often while nothing changes.</summary>
    public TimeSpan RepublishEvery { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Writes of one room's set are at least this far apart: one write for a round's worth of polls.</summary>
    public TimeSpan PublishSpacing { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>A published set older than this is not trusted: its instance may be gone.</summary>
    public TimeSpan WaitingSetFreshFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A round hands over only within this time of reading the sets.</summary>
    public TimeSpan RoutesUsableFor { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>After withdrawing its set, an instance keeps taking hand-overs this long.</summary>
    public TimeSpan HandOverGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A hand-over still stored this long after it was stored is taken back by its sender.</summary>
    public TimeSpan TakenBackAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>A hand-over whose newest message is older than this is swept by any instance watching the room.</summary>
    public TimeSpan SweptAfter { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>While hand-overs were about in a room this recently, its watch sweeps it every <see cref="SweepEvery"/>.</summary>
    public TimeSpan SweepWhileHandOversSeenFor { get; init; } = TimeSpan.FromMinutes(2);

    public TimeSpan SweepEvery { get; init; } = TimeSpan.FromSeconds(5);

    // ---- the room's signal (RoomSignalWriter, RoomLatest) ----

    /// <summary>
    /// A writer lists its rounds this long at least; a reader that last looked earlier wakes every poll (correct, but
    /// costly), so it is never shorter than two of the watcher's idle pauses (<see cref="RoundsKeptFor(ChatOptions)"/>).
    /// </summary>
    public TimeSpan RoundsKeptAtLeast { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan RoundsKeptFor(ChatOptions options)
    {
        var twoIdlePauses = TimeSpan.FromMilliseconds(2 * (long)options.RoomWatchIdleIntervalMilliseconds);
        return twoIdlePauses > RoundsKeptAtLeast ? twoIdlePauses : RoundsKeptAtLeast;
    }

    /// <summary>Background tries of a signal write that failed; after the last, the room's next round carries it.</summary>
    public IReadOnlyList<TimeSpan> SignalRetryPauses { get; init; } = [TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(8)];

    /// <summary>Pause before the second try of a round's last signal write (its sends answer 503 if that fails too).</summary>
    public TimeSpan RoundRaiseRetryPause { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>A poll answer reports the room's newest message from a read of the signal at most this old.</summary>
    public TimeSpan LatestFreshFor { get; init; } = TimeSpan.FromSeconds(2);

    // ---- queues, the page, stopping ----

    /// <summary>
    /// A poll skips its first receive when no put to its queue was seen within <see cref="QuietFor"/>, by this
    /// instance or named in the signal by another. Every instance reads a put's round within one idle pause of the
    /// watcher, and the member's next poll after that, wherever it lands, receives: so two idle pauses and a second
    /// for the poll to follow, at least this. In the model, 3 s cut the receives per delivered message at 10 instances
    /// x 1,000 members from 1.09 to 0.34 (10 s: 0.59). A poll whose watcher could not vouch for the window (its reads
    /// failed or hung) receives before it answers (<see cref="RoomWatcher.LagsBehind"/>), so the next poll may trust it.
    /// </summary>
    public TimeSpan QuietAtLeast { get; init; } = TimeSpan.FromSeconds(3);

    public TimeSpan QuietFor(ChatOptions options)
    {
        var twoIdlePausesAndASecond = TimeSpan.FromMilliseconds(2 * (long)options.RoomWatchIdleIntervalMilliseconds + 1_000);
        return twoIdlePausesAndASecond > QuietAtLeast ? twoIdlePausesAndASecond : QuietAtLeast;
    }

    /// <summary>
    /// A copy that could not be put, for a member with no poll waiting then, answers the member's next poll on each
    /// instance that saw it within this long, naming it (the page reads from before it).
    /// </summary>
    public TimeSpan MissedKeptFor { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Pause before the second try of a queue put.</summary>
    public TimeSpan PutRetryPause { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How long the page (lib/completeness.js) and the bench's page client wait for a named message before reading
    /// history: the answer after next usually brings it.
    /// </summary>
    public TimeSpan PageCheckGrace { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>What docs/api.md promises: a message lost on its way shows on an online member's page within this.</summary>
    public TimeSpan CompletenessBound { get; init; } = TimeSpan.FromSeconds(35);

    /// <summary>A graceful stop's own bound for withdrawing sets and handing hand-overs back.</summary>
    public TimeSpan DrainTakesAtMost { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The rules between the timings, as failures to report at start-up (none: all hold).</summary>
    public IReadOnlyList<string> Check(ChatOptions options)
    {
        var failures = new List<string>();
        void Require(bool holds, string rule)
        {
            if (!holds)
            {
                failures.Add("Delivery timings: " + rule);
            }
        }
        Require(RoutesUsableFor < HandOverGrace,
            "a round may hand over only while the target still takes hand-overs after withdrawing its set (RoutesUsableFor < HandOverGrace).");
        Require(RepublishEvery < WaitingSetFreshFor,
            "a waiting set is refreshed before others stop trusting it (RepublishEvery < WaitingSetFreshFor).");
        Require(TakenBackAfter < SweptAfter,
            "a sender takes its hand-overs back before other instances sweep them (TakenBackAfter < SweptAfter).");
        Require(SweepEvery <= SweepWhileHandOversSeenFor && SweptAfter < SweepWhileHandOversSeenFor,
            "a stale hand-over is swept while its room is still swept (SweptAfter, SweepEvery < SweepWhileHandOversSeenFor).");
        Require(ChatOptions.LongestPollTimeout + LatestFreshFor + PageCheckGrace <= CompletenessBound,
            "one poll, the age of what an answer knows and the page's grace fit the completeness bound.");
        Require(WatchReadTimeout + TimeSpan.FromMilliseconds(options.RoomWatchIdleIntervalMilliseconds) <= RoundsKeptFor(options),
            "a watcher whose read hung and was given up still reads a round before writers drop it (WatchReadTimeout + idle interval <= RoundsKeptFor).");
        Require(PutRetryPause + RoundRaiseRetryPause < TimeSpan.FromSeconds(1),
            "a round's retries add well under a second to a send.");
        return failures;
    }
}
