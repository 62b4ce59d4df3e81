using System.ComponentModel.DataAnnotations;

namespace FunctionsChat;

/// <summary>Settings bound from the <c>Chat</c> configuration section (env vars use <c>Chat__Name</c>).</summary>
public sealed class ChatOptions
{
    public const string SectionName = "Chat";

    /// <summary>Secret that signs member tokens. Required outside development.</summary>
    public string? SigningKey { get; set; }

    /// <summary>
    /// Keys that signed tokens before <see cref="SigningKey"/>: still accepted, never used to sign, so a key can be
    /// rotated without signing everyone out (app settings <c>Chat__PreviousSigningKeys__0</c>, <c>__1</c>, ...).
    /// Blank entries are ignored: the deployment sets entry 0 empty when there is no previous key.
    /// </summary>
    public List<string> PreviousSigningKeys { get; set; } = [];

    /// <summary>Bogus locale for random names, e.g. zh_CN or en.</summary>
    public string NameLocale { get; set; } = "zh_CN";

    [Range(10, 86_400)]
    public int MemberTimeoutSeconds { get; set; } = 120;

    [Range(1, 10_000)]
    public int SendLimitPer10Seconds { get; set; } = 20;

    /// <summary>
    /// Joins one client address may make per minute on one instance: that many at once, then one every
    /// 60 s / limit. A join needs no credentials and creates a queue and a table row.
    /// </summary>
    [Range(1, 100_000)]
    public int JoinLimitPerMinute { get; set; } = 30;

    /// <summary>Online members one room holds; a join beyond that gets 409. It bounds the fan-out of every send.</summary>
    [Range(1, 10_000)]
    public int MaxMembersPerRoom { get; set; } = 1_000;

    /// <summary>lastSeen is written at most this often per member, so polls do not each cost a table write.</summary>
    [Range(1, 3_600)]
    public int LastSeenWriteIntervalSeconds { get; set; } = 15;

    /// <summary>
    /// Pause after a long poll's first dequeue attempt (or its start, when that attempt was skipped); pauses then double
    /// up to <see cref="PollBackoffCapMilliseconds"/>. Wakes and hand-overs bring messages; these attempts are a sparse
    /// safety net (one in a quiet 30 s poll by default) for what no put announces, such as a message back from its
    /// visibility timeout, and the only path when the room watcher is off. In the model (faults on), 2,000 seeds lost
    /// nothing without them (docs/performance.md, "The model").
    /// </summary>
    [Range(50, 30_000)]
    public int PollFirstPauseMilliseconds { get; set; } = 10_000;

    /// <summary>Longest pause between two empty dequeue attempts of one long poll.</summary>
    [Range(50, 30_000)]
    public int PollBackoffCapMilliseconds { get; set; } = 30_000;

    /// <summary>
    /// In a busy room (several messages a second), a poll that has messages answers once the oldest of them is this
    /// old, carrying whatever else arrived meanwhile: fewer answers, so fewer executions and dequeue attempts, for a
    /// bounded delay. A quiet room's message is answered at once. 0 (the default) turns it off: measured at 400 ms it
    /// cut a busy room's requests by 41 % but raised the median delivery from ~20 ms to ~230 ms (docs/performance.md).
    /// </summary>
    [Range(0, 5_000)]
    public int PollLingerMilliseconds { get; set; }

    /// <summary>
    /// While a long poll of a room waits on this instance, the room's signal (raised by every other instance's fan-out)
    /// is read this often as long as the room is active, and the waiting polls are woken when it changed. 0 turns
    /// the watcher off.
    /// </summary>
    [Range(0, 60_000)]
    public int RoomWatchIntervalMilliseconds { get; set; } = 100;

    /// <summary>
    /// When a watched room falls quiet, the reads slow down, doubling up to this interval, so an idle room stays cheap.
    /// </summary>
    [Range(50, 60_000)]
    public int RoomWatchIdleIntervalMilliseconds { get; set; } = 1_000;

    /// <summary>
    /// Whether a fan-out hands the messages for members whose polls wait on other instances over to those instances
    /// (one table write per round) instead of putting them on each member's queue (a put, a receive and a delete per
    /// member). Off only to compare the two paths.
    /// </summary>
    public bool CrossInstanceHandOver { get; set; } = true;

    /// <summary>
    /// Whether joins, leaves, renames and expiries are written into the room's history as notices and handed to open
    /// pages: one history write per event, plus a fan-out round when someone is there to receive it.
    /// </summary>
    public bool RoomNotices { get; set; } = true;

    /// <summary>How long this instance reuses a room's member list for fan-out (cleared by a join or leave here). 0: never.</summary>
    [Range(0, 10_000)]
    public int MembersCacheMilliseconds { get; set; } = 1_500;

    /// <summary>How many member queues one send writes to at once.</summary>
    [Range(1, 256)]
    public int FanOutParallelism { get; set; } = 32;

    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string HistoryTable { get; set; } = "ChatHistory";

    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string MembersTable { get; set; } = "ChatMembers";

    public TimeSpan MemberTimeout => TimeSpan.FromSeconds(MemberTimeoutSeconds);

    public TimeSpan LastSeenWriteInterval => TimeSpan.FromSeconds(LastSeenWriteIntervalSeconds);

    /// <summary>Time a client may take between one poll's answer and its next request without being expired.</summary>
    public static readonly TimeSpan ReconnectAllowance = TimeSpan.FromSeconds(5);

    /// <summary>The longest any long poll may wait (the API's maximum).</summary>
    public static readonly TimeSpan LongestPollTimeout = TimeSpan.FromSeconds(Delivery.PollUpdates.MaxTimeoutSeconds);

    /// <summary>
    /// How long one long poll waits at most. A polling member's lastSeen can be one write interval old when its poll
    /// starts, so a poll must end (and the next one mark the member seen) early enough that a live member never reaches
    /// the member timeout: 30 s with the defaults, less with a short member timeout.
    /// </summary>
    public TimeSpan LongestPoll
    {
        get
        {
            var fits = MemberTimeout - LastSeenWriteInterval - ReconnectAllowance;
            return fits < LongestPollTimeout ? fits : LongestPollTimeout;
        }
    }

    /// <summary>Queue messages outlive the member timeout, so a member that is still online never misses one.</summary>
    public TimeSpan InboxMessageTimeToLive => TimeSpan.FromSeconds(MemberTimeoutSeconds * 2 + 60);
}
