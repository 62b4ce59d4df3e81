using FunctionsChat.Storage;
using FunctionsChat.Updates;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Members;

/// <summary>Who counts as online, marking members as seen, and removing those that went silent.</summary>
public sealed class Presence(IMemberStore members, IInboxes inboxes, InboxSignals signals, TimeProvider clock, IOptions<ChatOptions> options)
{
    private readonly ChatOptions settings = options.Value;

    public bool IsExpired(Member member) => clock.GetUtcNow() - member.LastSeen > settings.MemberTimeout;

    /// <summary>Writes lastSeen only when the stored one is older than the write interval.</summary>
    public async Task MarkSeenAsync(Member member, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        if (now - member.LastSeen >= settings.LastSeenWriteInterval)
        {
            await members.TouchAsync(member.Room, member.UserId, now, cancellationToken);
        }
    }

    /// <summary>Queue first: if removing the record then fails, the cleanup timer still finds the member and finishes.</summary>
    public async Task RemoveAsync(Member member, CancellationToken cancellationToken)
    {
        await inboxes.DeleteAsync(member.QueueName, cancellationToken);
        await members.RemoveAsync(member.Room, member.UserId, cancellationToken);
        signals.Forget(member.QueueName);
    }
}
