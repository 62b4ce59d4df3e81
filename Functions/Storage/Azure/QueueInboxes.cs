using Azure;
using Azure.Storage.Queues;

namespace FunctionsChat.Storage.Azure;

/// <summary>Each member's inbox is a Storage Queue; a received message is deleted before it is returned.</summary>
internal sealed class QueueInboxes(QueueServiceClient service) : IInboxes
{
    // Long enough for the deletes that follow a receive; if the poll dies first, the messages come back.
    private static readonly TimeSpan ReceiveVisibility = TimeSpan.FromSeconds(30);

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
                var received = (await queue.ReceiveMessagesAsync(maxMessages, ReceiveVisibility, cancellationToken)).Value;
                await Task.WhenAll(received.Select(m => queue.DeleteMessageAsync(m.MessageId, m.PopReceipt, cancellationToken)));
                return received.OrderBy(m => m.InsertedOn).Select(m => m.Body.ToString()).ToList();
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return null;
            }
        }, cancellationToken);
}
