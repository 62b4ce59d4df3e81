using FunctionsChat.Auth;
using FunctionsChat.Http;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;

namespace FunctionsChat.Members;

/// <summary>
/// Finds the member a request acts as: the bearer token names it, the member store must still hold it, and it must
/// not have gone silent past the timeout. Identity never comes from the request body or query.
/// </summary>
public sealed class MemberAccess(MemberTokens tokens, RoomMembersCache members, Presence presence, IRoomNotices notices)
{
    public async Task<(Member? Member, ApiResult? Error)> AuthenticateAsync(HttpRequest request, string room, CancellationToken cancellationToken)
    {
        var header = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(header))
        {
            return (null, Api.Unauthorized("This route needs 'Authorization: Bearer {token}' from joining the room."));
        }
        const string scheme = "Bearer ";
        var token = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? tokens.Verify(header[scheme.Length..].Trim()) : null;
        if (token is null)
        {
            return (null, Api.Unauthorized("The bearer token is malformed or was not issued by this chat."));
        }
        if (!string.Equals(token.Room, room, StringComparison.Ordinal))
        {
            return (null, Api.Forbidden("This token belongs to another room."));
        }
        var member = await members.FindAsync(room, token.UserId, cancellationToken);
        if (member is null)
        {
            return (null, Api.Gone("This member has left the room or expired. Join again."));
        }
        if (presence.IsExpired(member))
        {
            if (await presence.RemoveAsync(member, cancellationToken))
            {
                await notices.WentOfflineAsync(member);
            }
            return (null, Api.Gone("This member was silent for too long and has expired. Join again."));
        }
        return (member, null);
    }
}
