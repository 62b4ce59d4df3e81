namespace FunctionsChat.Storage;

/// <summary>Member records: one row per member of a room.</summary>
public interface IMemberStore
{
    Task AddAsync(Member member, CancellationToken cancellationToken);

    Task<Member?> GetAsync(string room, string userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<Member>> ListAsync(string room, CancellationToken cancellationToken);

    /// <summary>
    /// Members of the room whose lastSeen is at or after <paramref name="seenSince"/>, counted only up to
    /// <paramref name="atMost"/>: the answer is min(count, atMost), so a full room costs no more than one page.
    /// </summary>
    Task<int> CountSeenSinceAsync(string room, DateTimeOffset seenSince, int atMost, CancellationToken cancellationToken);

    /// <summary>Sets lastSeen; false when the member no longer exists.</summary>
    Task<bool> TouchAsync(string room, string userId, DateTimeOffset lastSeen, CancellationToken cancellationToken);

    /// <summary>False when there was nothing to remove.</summary>
    Task<bool> RemoveAsync(string room, string userId, CancellationToken cancellationToken);

    /// <summary>Members of every room whose lastSeen is before <paramref name="cutoff"/>.</summary>
    IAsyncEnumerable<Member> ListSilentSinceAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}
