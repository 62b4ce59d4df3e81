namespace FunctionsChat.Storage;

/// <summary>Member records: one row per member of a room.</summary>
public interface IMemberStore
{
    Task AddAsync(Member member, CancellationToken cancellationToken);

    Task<Member?> GetAsync(string room, string userId, CancellationToken cancellationToken);

    Task<IReadOnlyList<Member>> ListAsync(string room, CancellationToken cancellationToken);

    /// <summary>Sets lastSeen; false when the member no longer exists.</summary>
    Task<bool> TouchAsync(string room, string userId, DateTimeOffset lastSeen, CancellationToken cancellationToken);

    /// <summary>False when there was nothing to remove.</summary>
    Task<bool> RemoveAsync(string room, string userId, CancellationToken cancellationToken);

    /// <summary>Members of every room whose lastSeen is before <paramref name="cutoff"/>.</summary>
    IAsyncEnumerable<Member> ListSilentSinceAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);
}
