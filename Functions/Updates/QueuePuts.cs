using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Updates;

/// <summary>
/// Puts messages on members' queues, a bounded number at once, for the fan-out and for hand-overs whose polls had
/// moved on. One member's queue failing never fails the rest: that member fills the gap from history.
/// </summary>
public sealed class QueuePuts(
    IInboxes inboxes,
    WaitingPolls polls,
    ChatMetrics metrics,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<QueuePuts> logger)
{
    private readonly ChatOptions settings = options.Value;

    /// <summary>Returns the queues written to (a member who left meanwhile has none).</summary>
    public async Task<List<string>> PutAsync(string room, IReadOnlyList<string> queues, IReadOnlyList<ChatMessage> messages)
    {
        var written = new List<string>();
        if (queues.Count == 0)
        {
            return written;
        }
        var payloads = InboxPayload.Pack(messages);
        // On the current scheduler (ParallelOptions' default is the thread pool's): the same thread pool in the host, and
        // the cluster simulation's single-threaded scheduler there (tests/FunctionsChat.Simulation).
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.FanOutParallelism, CancellationToken = lifetime.ApplicationStopping, TaskScheduler = TaskScheduler.Current };
        await Parallel.ForEachAsync(queues, parallel, async (queue, token) =>
        {
            try
            {
                foreach (var payload in payloads)
                {
                    if (!await inboxes.DeliverAsync(queue, payload, settings.InboxMessageTimeToLive, token))
                    {
                        return;
                    }
                }
                polls.Put(queue);
                lock (written)
                {
                    written.Add(queue);
                }
                metrics.Delivered(DeliveryPath.Queue, messages.Count);
            }
            catch (StorageUnavailableException ex)
            {
                logger.LogWarning(ex, "Could not deliver {Count} message(s) up to {MessageId} to one member of room {Room}", messages.Count, messages[^1].Id, room);
            }
        });
        return written;
    }
}
