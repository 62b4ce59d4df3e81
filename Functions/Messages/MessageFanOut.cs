using FunctionsChat.Members;
using FunctionsChat.Storage;
using FunctionsChat.Updates;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Messages;

/// <summary>Puts a stored message on the queue of every current member of its room, in parallel with a bound.</summary>
public sealed class MessageFanOut(
    IMemberStore members,
    IInboxes inboxes,
    InboxSignals signals,
    Presence presence,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<MessageFanOut> logger)
{
    private readonly ChatOptions settings = options.Value;

    public async Task DeliverAsync(ChatMessage message, CancellationToken cancellationToken)
    {
        var recipients = (await members.ListAsync(message.Room, cancellationToken)).Where(m => !presence.IsExpired(m));
        var payload = InboxPayload.Serialize([message]);
        // The message is already in history: finish the fan-out even if the sender hangs up, stop only on shutdown.
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.FanOutParallelism, CancellationToken = lifetime.ApplicationStopping };
        await Parallel.ForEachAsync(recipients, parallel, async (member, token) =>
        {
            try
            {
                if (await inboxes.DeliverAsync(member.QueueName, payload, settings.InboxMessageTimeToLive, token))
                {
                    signals.Signal(member.QueueName);
                }
            }
            catch (StorageUnavailableException ex)
            {
                // One member's queue failing must not fail the send; that member fills the gap from history.
                logger.LogWarning(ex, "Could not deliver message {MessageId} to one member of room {Room}", message.Id, message.Room);
            }
        });
    }
}
