using System.Collections.Concurrent;
using FunctionsChat.Storage;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Members;

/// <summary>
/// A room's member list for authentication, reused on this instance for <see cref="ChatOptions.MembersCacheMilliseconds"/>
/// and cleared by a join or leave on this instance. Fan-out does not use it (a member that joined on another instance
/// would miss live messages). A member that left on another instance can still pass authentication here for that long;
/// its inbox is gone, so its poll gets 410 anyway.
/// </summary>
public sealed class RoomMembersCache(IMemberStore members, TimeProvider clock, IOptions<ChatOptions> options)
{
    private readonly TimeSpan lifetime = TimeSpan.FromMilliseconds(options.Value.MembersCacheMilliseconds);
    private readonly ConcurrentDictionary<string, (DateTimeOffset ReadAt, IReadOnlyList<Member> Members)> rooms = new(StringComparer.Ordinal);
    private const int MaxRooms = 1_000;
    private long changes;

    public async Task<IReadOnlyList<Member>> ListAsync(string room, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (rooms.TryGetValue(room, out var cached) && now - cached.ReadAt < lifetime)
        {
            return cached.Members;
        }
        var changesBefore = Interlocked.Read(ref changes);
        var list = await members.ListAsync(room, cancellationToken);
        // A join or leave here while the read was in flight may be missing from it: use it once, do not keep it.
        if (lifetime > TimeSpan.Zero && Interlocked.Read(ref changes) == changesBefore)
        {
            rooms[room] = (now, list);
            if (rooms.Count > MaxRooms)
            {
                foreach (var stale in rooms.Where(r => now - r.Value.ReadAt >= lifetime).ToList())
                {
                    rooms.TryRemove(stale);
                }
            }
        }
        return list;
    }

    /// <summary>
    /// A member of the room: from the cached list when it holds the member, else one point read (a member that joined on
    /// another instance is not in this instance's list yet). Polls and sends authenticate through this.
    /// </summary>
    public async Task<Member?> FindAsync(string room, string userId, CancellationToken cancellationToken)
    {
        var list = await ListAsync(room, cancellationToken);
        foreach (var member in list)
        {
            if (string.Equals(member.UserId, userId, StringComparison.Ordinal))
            {
                return member;
            }
        }
        return await members.GetAsync(room, userId, cancellationToken);
    }

    public void Invalidate(string room)
    {
        Interlocked.Increment(ref changes);
        rooms.TryRemove(room, out _);
    }
}
