using FunctionsChat.Auth;
using FunctionsChat.Http;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.Members;

public sealed record JoinRequest(string? Name);

public sealed record JoinResponse(string UserId, string Name, string Room, string Token);

public sealed class JoinRoom(IMemberStore members, IInboxes inboxes, MemberTokens tokens, NameGenerator names, RoomMembersCache membersCache, TimeProvider clock)
{
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
        var userId = Guid.NewGuid().ToString("N");
        var now = clock.GetUtcNow();
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
        return Api.Created(new JoinResponse(userId, member.Name, room, token));
    });

    /// <summary>The user id is 32 hex digits made here, so the name is always a valid queue name (3–63 chars).</summary>
    internal static string QueueNameFor(string userId) => $"inbox-{userId}";
}
