using System.ComponentModel.DataAnnotations;

namespace FunctionsChat;

/// <summary>Settings bound from the <c>Chat</c> configuration section (env vars use <c>Chat__Name</c>).</summary>
public sealed class ChatOptions
{
    public const string SectionName = "Chat";

    /// <summary>Secret that signs member tokens. Required outside development.</summary>
    public string? SigningKey { get; set; }

    /// <summary>Bogus locale for random names, e.g. zh_CN or en.</summary>
    public string NameLocale { get; set; } = "zh_CN";

    [Range(10, 86_400)]
    public int MemberTimeoutSeconds { get; set; } = 120;

    [Range(1, 10_000)]
    public int SendLimitPer10Seconds { get; set; } = 20;

    /// <summary>lastSeen is written at most this often per member, so polls do not each cost a table write.</summary>
    [Range(1, 3_600)]
    public int LastSeenWriteIntervalSeconds { get; set; } = 15;

    /// <summary>Longest pause between two empty dequeue attempts of one long poll.</summary>
    [Range(50, 30_000)]
    public int PollBackoffCapMilliseconds { get; set; } = 4_000;

    /// <summary>How many member queues one send writes to at once.</summary>
    [Range(1, 256)]
    public int FanOutParallelism { get; set; } = 32;

    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string HistoryTable { get; set; } = "ChatHistory";

    [RegularExpression("^[A-Za-z][A-Za-z0-9]{2,62}$")]
    public string MembersTable { get; set; } = "ChatMembers";

    public TimeSpan MemberTimeout => TimeSpan.FromSeconds(MemberTimeoutSeconds);

    public TimeSpan LastSeenWriteInterval => TimeSpan.FromSeconds(LastSeenWriteIntervalSeconds);

    /// <summary>Queue messages outlive the member timeout, so a member that is still online never misses one.</summary>
    public TimeSpan InboxMessageTimeToLive => TimeSpan.FromSeconds(MemberTimeoutSeconds * 2 + 60);
}
