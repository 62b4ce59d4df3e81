using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Delivery;

/// <summary>
/// Puts messages on members' queues, a bounded number at once, for the fan-out and for hand-overs whose polls had
/// moved on. A failed put is tried once more; one member's queue failing never fails the rest, and the caller is told
/// which failed, so it can make that member's page check history (<see cref="WaitingPolls.Check"/>).
/// </summary>
public sealed class QueuePuts(
    IInboxes inboxes,
    WaitingPolls polls,
    ChatMetrics metrics,
    DeliveryTimings timings,
    TimeProvider clock,
    IHostApplicationLifetime lifetime,
    IOptions<ChatOptions> options,
    ILogger<QueuePuts> logger)
{
    private readonly ChatOptions settings = options.Value;

    /// <summary>
    /// Returns the queues written to (a member who left meanwhile has none) and those that could not be written. Runs
    /// to the end even while the instance stops: these copies exist nowhere else yet.
    /// </summary>
    public async Task<PutResult> PutAsync(string room, IReadOnlyList<string> queues, IReadOnlyList<ChatMessage> messages)
    {
        var written = new List<string>();
        var failed = new List<string>();
        if (queues.Count == 0)
        {
            return new PutResult(written, failed);
        }
        var payloads = InboxPayload.Pack(messages);
        // On the current scheduler (ParallelOptions' default is the thread pool's): the same thread pool in the host, and
        // the cluster simulation's single-threaded scheduler there (tests/FunctionsChat.Simulation).
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = settings.FanOutParallelism, CancellationToken = lifetime.ApplicationStopped, TaskScheduler = TaskScheduler.Current };
        await Parallel.ForEachAsync(queues, parallel, async (queue, token) =>
        {
            for (var attempt = 1; ; attempt++)
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
                    return;
                }
                catch (StorageUnavailableException ex) when (attempt == 1)
                {
                    logger.LogDebug(ex, "Put to one member of room {Room} failed; trying once more", room);
                    await Task.Delay(timings.PutRetryPause, clock, token);
                }
                catch (StorageUnavailableException ex)
                {
                    logger.LogWarning(ex, "Could not deliver {Count} message(s) up to {MessageId} to one member of room {Room}", messages.Count, messages[^1].Id, room);
                    lock (written)
                    {
                        failed.Add(queue);
                    }
                    return;
                }
            }
        });
        return new PutResult(written, failed);
    }
}

/// <param name="Written">The queues the messages are on now.</param>
/// <param name="Failed">The queues that could not be written, twice: those members' pages must check history.</param>
public sealed record PutResult(List<string> Written, List<string> Failed);
