using FunctionsChat.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.Members;

public sealed class LeaveRoom(MemberAccess access, Presence presence, IRoomNotices notices)
{
    [Function(nameof(LeaveRoom))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "delete", Route = "rooms/{room}/members/{userId}")] HttpRequest request,
        string room,
        string userId,
        CancellationToken cancellationToken) => StorageGuard.RunAsync(async () =>
    {
        if (!RoomName.IsValid(room))
        {
            return RoomName.Invalid();
        }
        var (member, error) = await access.AuthenticateAsync(request, room, cancellationToken);
        if (error is not null)
        {
            return error;
        }
        if (!string.Equals(member!.UserId, userId, StringComparison.Ordinal))
        {
            return Api.Forbidden("A member can only remove itself.");
        }
        if (await presence.RemoveAsync(member, cancellationToken))
        {
            await notices.LeftAsync(member);
        }
        return Api.NoContent();
    });
}
