using FunctionsChat.Storage;

namespace FunctionsChat.Members;

/// <summary>
/// What a room is told of its members' comings and goings. Members raise these; the notices are messages, written and
/// fanned out by Messages (<c>RoomNotices</c>), so Members does not depend on how messages travel.
/// </summary>
public interface IRoomNotices
{
    Task JoinedAsync(Member member);

    Task RenamedAsync(Member previous, Member renamed);

    Task LeftAsync(Member member);

    Task WentOfflineAsync(Member member);
}
