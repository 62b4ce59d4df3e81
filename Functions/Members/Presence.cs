using System.Collections.Concurrent;
using FunctionsChat.Storage;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Members;

/// <summary>Who counts as online, marking members as seen, and removing those that went silent.</summary>
public sealed class Presence(IMemberStore members, IInboxes inboxes, IMemberDepartures departures, RoomMembersCache membersCache, TimeProvider clock, IOptions<ChatOptions> options)
{
    private readonly ChatOptions settings = options.Value;

    /// <summary>lastSeen as this instance last wrote it: the member record it is given may come from a cached list.</summary>
    private readonly ConcurrentDictionary<(string Room, string UserId), DateTimeOffset> written = new();
    private const int MaxRemembered = 10_000;

    public bool IsExpired(Member member) => clock.GetUtcNow() - member.LastSeen > settings.MemberTimeout;

    /// <summary>Writes lastSeen only when the stored one is older than the write interval.</summary>
    public async Task MarkSeenAsync(Member member, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var lastSeen = written.TryGetValue((member.Room, member.UserId), out var mine) && mine > member.LastSeen ? mine : member.LastSeen;
        if (now - lastSeen >= settings.LastSeenWriteInterval)
        {
            await members.TouchAsync(member.Room, member.UserId, now, cancellationToken);
            written[(member.Room, member.UserId)] = now;
            if (written.Count > MaxRemembered)
            {
                // Members that expired or left on another instance are never removed here: drop the stale ones.
                foreach (var stale in written.Where(w => now - w.Value > settings.MemberTimeout).ToList())
                {
                    written.TryRemove(stale);
                }
            }
        }
    }

    /// <summary>
    /// Queue first: if removing the record then fails, the cleanup timer still finds the member and finishes. True when
    /// this call removed the record, so of two racing removals (a request and the timer, say) only one reports it.
    /// </summary>
    public async Task<bool> RemoveAsync(Member member, CancellationToken cancellationToken)
    {
        await inboxes.DeleteAsync(member.QueueName, cancellationToken);
        var removed = await members.RemoveAsync(member.Room, member.UserId, cancellationToken);
        membersCache.Invalidate(member.Room);
        written.TryRemove((member.Room, member.UserId), out _);
        departures.Departed(member.QueueName);
        return removed;
    }
}
