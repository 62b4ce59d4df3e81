using FunctionsChat.Http;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.Members;

public sealed record OnlineMember(string UserId, string Name, DateTimeOffset LastSeen);

public sealed record MemberList(IReadOnlyList<OnlineMember> Members);

public sealed class ListMembers(IMemberStore members, Presence presence)
{
    [Function(nameof(ListMembers))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rooms/{room}/members")] HttpRequest request,
        string room,
        CancellationToken cancellationToken) => StorageGuard.RunAsync(async () =>
    {
        if (!RoomName.IsValid(room))
        {
            return RoomName.Invalid();
        }
        var online = (await members.ListAsync(room, cancellationToken))
            .Where(m => !presence.IsExpired(m))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ThenBy(m => m.UserId, StringComparer.Ordinal)
            .Select(m => new OnlineMember(m.UserId, m.Name, m.LastSeen))
            .ToList();
        return Api.Ok(new MemberList(online));
    });
}
