using Azure;
using Azure.Storage.Queues;

namespace FunctionsChat.Storage.Azure;

/// <summary>
/// Each member's inbox is a Storage Queue. A receive consumes without a delete call: it hides what it takes for longer
/// than any inbox message lives, so a taken message expires before it could be visible again. Get Messages allows a
/// visibility timeout later than the message's expiry time (see docs/performance.md), and Azurite honours it (contract test).
/// </summary>
internal sealed class QueueInboxes(QueueServiceClient service) : IInboxes
{
    /// <summary>
    /// Longer than the longest inbox time-to-live (<see cref="ChatOptions.InboxMessageTimeToLive"/>: at most about 2 days
    /// with the largest member timeout) and within the service's 7-day maximum.
    /// </summary>
    internal static readonly TimeSpan ReceiveVisibility = TimeSpan.FromDays(6);

    public Task CreateAsync(string queueName, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync(() => service.GetQueueClient(queueName).CreateIfNotExistsAsync(cancellationToken: cancellationToken), cancellationToken);

    public Task DeleteAsync(string queueName, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync(() => service.GetQueueClient(queueName).DeleteIfExistsAsync(cancellationToken), cancellationToken);

    public Task<bool> DeliverAsync(string queueName, string payload, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync(async () =>
        {
            try
            {
                await service.GetQueueClient(queueName).SendMessageAsync(payload, visibilityTimeout: null, timeToLive, cancellationToken);
                return true;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return false;
            }
        }, cancellationToken);

    public Task<IReadOnlyList<string>?> ReceiveAsync(string queueName, int maxMessages, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync<IReadOnlyList<string>?>(async () =>
        {
            var queue = service.GetQueueClient(queueName);
            try
            {
                // No delete: hidden for longer than they live, the taken messages are gone for good (one call, not 1 + n).
                var received = (await queue.ReceiveMessagesAsync(maxMessages, ReceiveVisibility, cancellationToken)).Value;
                return received.OrderBy(m => m.InsertedOn).Select(m => m.Body.ToString()).ToList();
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return null;
            }
        }, cancellationToken);
}
