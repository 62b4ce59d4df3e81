using FunctionsChat.Delivery;
using FunctionsChat.Members;
using FunctionsChat.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Messages;

/// <summary>The kinds of notice the server writes into a room's history; a member's own message has no kind.</summary>
public static class NoticeKinds
{
    public const string Join = "join";
    public const string Leave = "leave";
    public const string Rename = "rename";
    public const string Offline = "offline";
}

/// <summary>
/// Writes "joined", "left", "is now" and "went offline" into the room's history, so a page opened later sees them in
/// order, and hands them to open pages as messages are handed (<see cref="MessageFanOut"/>). One history write per
/// event; no fan-out round when nobody is left to receive it. A notice is a side effect: if storage fails, the
/// member's join or leave still stands, so the failure is logged, not returned.
/// </summary>
public sealed class RoomNotices(
    IMessageHistory history,
    MessageIds ids,
    MessageFanOut fanOut,
    IMemberStore members,
    TimeProvider clock,
    IOptions<ChatOptions> options,
    ILogger<RoomNotices> logger) : IRoomNotices
{
    /// <summary>The joiner is a recipient, so the fan-out always runs.</summary>
    public Task JoinedAsync(Member member) =>
        WriteAsync(member.Room, member.UserId, member.Name, NoticeKinds.Join, $"{member.Name} joined", newName: null, mayBeEmpty: false);

    /// <summary>Written under the new member's id: that is who the name now belongs to.</summary>
    public Task RenamedAsync(Member previous, Member renamed) =>
        WriteAsync(renamed.Room, renamed.UserId, previous.Name, NoticeKinds.Rename, $"{previous.Name} is now {renamed.Name}", renamed.Name, mayBeEmpty: false);

    public Task LeftAsync(Member member) =>
        WriteAsync(member.Room, member.UserId, member.Name, NoticeKinds.Leave, $"{member.Name} left", newName: null, mayBeEmpty: true);

    public Task WentOfflineAsync(Member member) =>
        WriteAsync(member.Room, member.UserId, member.Name, NoticeKinds.Offline, $"{member.Name} went offline", newName: null, mayBeEmpty: true);

    private async Task WriteAsync(string room, string userId, string name, string kind, string text, string? newName, bool mayBeEmpty)
    {
        if (!options.Value.RoomNotices)
        {
            return;
        }
        try
        {
            var (id, sentAt) = ids.Next();
            var notice = new ChatMessage(id, room, userId, name, text, sentAt, kind, newName);
            // No dedupe key: each event is written once, by the one request that caused it.
            await history.AppendAsync(notice, dedupeKey: null, CancellationToken.None);
            if (mayBeEmpty && !await AnyoneOnlineAsync(room))
            {
                return;
            }
            await fanOut.DeliverAsync(notice, CancellationToken.None);
        }
        catch (StorageUnavailableException ex)
        {
            logger.LogWarning(ex, "Could not write the {Kind} notice of a member in room {Room}", kind, room);
        }
    }

    /// <summary>Reads at most one member record, cheaper than a fan-out round's member list and wait-route reads.</summary>
    private async Task<bool> AnyoneOnlineAsync(string room) =>
        await members.CountSeenSinceAsync(room, clock.GetUtcNow() - options.Value.MemberTimeout, atMost: 1, CancellationToken.None) > 0;
}
