using Azure.Data.Tables;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Storage.Azure;

/// <summary>A cheap read from each service the chat uses, with data-plane permissions only.</summary>
internal sealed class AzureStorageProbe(TableServiceClient tables, QueueServiceClient queues, IOptions<ChatOptions> options) : IStorageProbe
{
    public Task CheckAsync(CancellationToken cancellationToken) => StorageCalls.RunAsync(async () =>
    {
        var history = tables.GetTableClient(options.Value.HistoryTable);
        await history.CreateIfNotExistsAsync(cancellationToken);
        await foreach (var _ in history.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {"health"}"), maxPerPage: 1, cancellationToken: cancellationToken).AsPages(pageSizeHint: 1))
        {
            break;
        }
        await foreach (var _ in queues.GetQueuesAsync(cancellationToken: cancellationToken).AsPages(pageSizeHint: 1))
        {
            break;
        }
    }, cancellationToken);
}
