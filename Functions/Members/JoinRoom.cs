using FunctionsChat.Auth;
using FunctionsChat.Http;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Members;

public sealed record JoinRequest(string? Name);

public sealed record JoinResponse(string UserId, string Name, string Room, string Token);

public sealed class JoinRoom(
    IMemberStore members,
    IInboxes inboxes,
    MemberTokens tokens,
    NameGenerator names,
    RoomMembersCache membersCache,
    JoinRateLimiter rateLimiter,
    MemberAccess access,
    Presence presence,
    IRoomNotices notices,
    TimeProvider clock,
    IOptions<ChatOptions> options)
{
    private readonly ChatOptions settings = options.Value;

    [Function(nameof(JoinRoom))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rooms/{room}/members")] HttpRequest request,
        string room,
        CancellationToken cancellationToken) => StorageGuard.RunAsync(async () =>
    {
        if (!RoomName.IsValid(room))
        {
            return RoomName.Invalid();
        }
        var (body, error) = await RequestBody.ReadJsonAsync<JoinRequest>(request, optional: true, cancellationToken);
        if (error is not null)
        {
            return error;
        }
        var (name, nameError) = string.IsNullOrWhiteSpace(body?.Name) ? (names.Next(), null) : MemberNames.Validate(body.Name);
        if (nameError is not null)
        {
            return Api.BadRequest(nameError);
        }
        // Counted once the request is well formed, before anything costs storage, the room count included.
        if (rateLimiter.TryAcquire(ClientAddress.Of(request)) is { } retryAfter)
        {
            return Api.TooManyRequests(retryAfter, $"Too many joins from your address (the limit is {settings.JoinLimitPerMinute} a minute). Wait a moment.");
        }
        // A join that carries a member's token is that member renaming itself: it is replaced by the new member, and the
        // room reads one "is now" notice instead of a leave and a join. A member that is gone already just joins.
        var (previous, renameError) = await FindRenamingMemberAsync(request, room, cancellationToken);
        if (renameError is not null)
        {
            return renameError;
        }
        var now = clock.GetUtcNow();
        // Counted in the store, so members that joined on other instances count too. Joins racing here (on any
        // instance) can each see room for one more: a room can end up a few over, never more than the joins in flight.
        var online = await members.CountSeenSinceAsync(room, now - settings.MemberTimeout, settings.MaxMembersPerRoom, cancellationToken);
        if (online - (previous is null ? 0 : 1) >= settings.MaxMembersPerRoom)
        {
            return Api.RoomFull($"Room '{room}' already has {settings.MaxMembersPerRoom} members online, the most it takes. " +
                "Try again when someone has left, or join another room.");
        }
        var userId = Guid.NewGuid().ToString("N");
        var member = new Member(room, userId, name!, QueueNameFor(userId), now, now);
        await inboxes.CreateAsync(member.QueueName, cancellationToken);
        try
        {
            await members.AddAsync(member, cancellationToken);
            membersCache.Invalidate(room);
        }
        catch
        {
            await inboxes.DeleteAsync(member.QueueName, CancellationToken.None);
            throw;
        }
        var token = tokens.Issue(new MemberToken(room, userId, member.Name));
        if (previous is null)
        {
            await notices.JoinedAsync(member);
        }
        else
        {
            await presence.RemoveAsync(previous, CancellationToken.None);
            await notices.RenamedAsync(previous, member);
        }
        return Api.Created(new JoinResponse(userId, member.Name, room, token));
    });

    /// <summary>No Authorization header: a plain join. A token that is not valid here: its 401 or 403.</summary>
    private async Task<(Member? Previous, IActionResult? Error)> FindRenamingMemberAsync(HttpRequest request, string room, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Headers.Authorization.ToString()))
        {
            return (null, null);
        }
        var (member, error) = await access.AuthenticateAsync(request, room, cancellationToken);
        return error is { StatusCode: StatusCodes.Status410Gone } ? (null, null) : (member, error);
    }

    /// <summary>The user id is 32 hex digits made here, so the name is always a valid queue name (3–63 chars).</summary>
    internal static string QueueNameFor(string userId) => $"inbox-{userId}";
}
