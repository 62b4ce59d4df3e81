using FunctionsChat.Members;
using FunctionsChat.Storage;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Cleanup;

/// <summary>
/// Removes members that went silent, with their queues. Requests check expiry themselves, so this only keeps the
/// members list and the storage account tidy.
/// </summary>
public sealed class ExpireMembers(IMemberStore members, Presence presence, IRoomNotices notices, TimeProvider clock, IOptions<ChatOptions> options, ILogger<ExpireMembers> logger)
{
    public const string Schedule = "0 */1 * * * *";

    [Function(nameof(ExpireMembers))]
    public async Task Run([TimerTrigger(Schedule)] TimerInfo timer, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow() - options.Value.MemberTimeout;
        var removed = 0;
        await foreach (var member in members.ListSilentSinceAsync(cutoff, cancellationToken))
        {
            if (await presence.RemoveAsync(member, cancellationToken))
            {
                await notices.WentOfflineAsync(member);
            }
            removed++;
        }
        if (removed > 0)
        {
            logger.LogInformation("Removed {Count} silent members", removed);
        }
    }
}
