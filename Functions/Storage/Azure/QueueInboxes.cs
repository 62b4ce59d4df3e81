using System.Net;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace FunctionsChat.Storage.Azure;

/// <summary>
/// Each member's inbox is a Storage Queue. A receive takes up to 32 messages and deletes them (in parallel) before it
/// returns them, so the queue holds only what is still undelivered.
/// </summary>
/// <remarks>
/// Hiding taken messages until they expire instead (one call instead of 1 + n) was tried and measured: Azurite scans
/// every stored message on each queue call, so its throughput fell from ~1,000 to ~60 operations/s within a minute
/// (docs/performance.md, "Consume without a delete call").
/// </remarks>
internal sealed class QueueInboxes(QueueServiceClient service) : IInboxes
{
    /// <summary>
    /// How long a taken message stays hidden if its delete never happens (the caller went away in between): it then
    /// comes back to the member's next receive rather than being lost.
    /// </summary>
    internal static readonly TimeSpan ReceiveVisibility = TimeSpan.FromSeconds(30);

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
            QueueMessage[] received;
            try
            {
                received = (await queue.ReceiveMessagesAsync(maxMessages, ReceiveVisibility, cancellationToken)).Value;
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                return null;
            }
            await Task.WhenAll(received.Select(message => DeleteTakenAsync(queue, message, cancellationToken)));
            return received.OrderBy(m => m.InsertedOn).Select(m => m.Body.ToString()).ToList();
        }, cancellationToken);

    private static async Task DeleteTakenAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        try
        {
            await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.BadRequest)
        {
            // Gone already: the queue was deleted (the member left) or the message expired meanwhile. Nothing to undo.
        }
    }
}
