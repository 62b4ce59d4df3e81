using System.Globalization;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Storage.Azure;

/// <summary>
/// One partition per room. Each message is written twice in one atomic batch: "a-{id}" rows ascend (for "after"),
/// "d-{inverted id}" rows descend (the log-tail pattern, for "newest" and "before"), so every query is one RowKey range
/// read of at most <c>limit</c> rows. A dedupe row "c-{key}" joins the same batch, so a repeated clientMessageId
/// fails the whole batch and nothing new is stored; the dedupe row is marked "Delivered" once the fan-out is done.
/// </summary>
internal sealed class TableMessageHistory : IMessageHistory
{
    private const string Ascending = "a-";
    private const string AscendingEnd = "a.";
    private const string Descending = "d-";
    private const string DescendingEnd = "d.";
    private const string Dedupe = "c-";
    private const string DeliveredProperty = "Delivered";
    private readonly TableClient table;
    private readonly CreateOnce created;

    public TableMessageHistory(TableServiceClient service, IOptions<ChatOptions> options)
    {
        table = service.GetTableClient(options.Value.HistoryTable);
        created = new CreateOnce(token => table.CreateIfNotExistsAsync(token));
    }

    public Task<AppendResult> AppendAsync(ChatMessage message, string? dedupeKey, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            var batch = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.Add, ToEntity(message, Ascending + message.Id)),
                new(TableTransactionActionType.Add, ToEntity(message, Descending + Invert(message.Id))),
            };
            if (dedupeKey is not null)
            {
                batch.Add(new(TableTransactionActionType.Add, new TableEntity(message.Room, Dedupe + dedupeKey) { ["MessageId"] = message.Id }));
            }
            try
            {
                await table.SubmitTransactionAsync(batch, cancellationToken);
                return new AppendResult(message, Created: true);
            }
            catch (TableTransactionFailedException ex) when (ex.Status == 409 && dedupeKey is not null)
            {
                var (first, delivered) = await FindByDedupeKeyAsync(message.Room, dedupeKey, cancellationToken);
                if (first is null)
                {
                    throw;
                }
                return new AppendResult(first, Created: false, delivered);
            }
        }, cancellationToken);

    public Task<IReadOnlyList<ChatMessage>> QueryAsync(string room, HistoryQuery query, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync<IReadOnlyList<ChatMessage>>(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            if (query.After is not null)
            {
                var end = query.Before is null ? AscendingEnd : Ascending + query.Before;
                return await ReadRangeAsync(room, Ascending + query.After, end, query.Limit, cancellationToken);
            }
            var start = query.Before is null ? Descending : Descending + Invert(query.Before);
            var newestFirst = await ReadRangeAsync(room, start, DescendingEnd, query.Limit, cancellationToken);
            return newestFirst.AsEnumerable().Reverse().ToList();
        }, cancellationToken);

    private async Task<List<ChatMessage>> ReadRangeAsync(string room, string after, string before, int limit, CancellationToken cancellationToken)
    {
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {room} and RowKey gt {after} and RowKey lt {before}");
        var messages = new List<ChatMessage>(Math.Min(limit, 1000));
        await foreach (var entity in table.QueryAsync<TableEntity>(filter, maxPerPage: Math.Min(limit, 1000), cancellationToken: cancellationToken))
        {
            messages.Add(FromEntity(entity));
            if (messages.Count == limit)
            {
                break;
            }
        }
        return messages;
    }

    public Task MarkDeliveredAsync(string room, string dedupeKey, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync(async () =>
        {
            var marker = new TableEntity(room, Dedupe + dedupeKey) { [DeliveredProperty] = true };
            await table.UpdateEntityAsync(marker, ETag.All, TableUpdateMode.Merge, cancellationToken);
        }, cancellationToken);

    private async Task<(ChatMessage? Message, bool Delivered)> FindByDedupeKeyAsync(string room, string dedupeKey, CancellationToken cancellationToken)
    {
        var marker = await table.GetEntityIfExistsAsync<TableEntity>(room, Dedupe + dedupeKey, cancellationToken: cancellationToken);
        if (!marker.HasValue || marker.Value!.GetString("MessageId") is not { } id)
        {
            return (null, false);
        }
        var row = await table.GetEntityAsync<TableEntity>(room, Ascending + id, cancellationToken: cancellationToken);
        return (FromEntity(row.Value), marker.Value.GetBoolean(DeliveredProperty) == true);
    }

    /// <summary>Kind and NewName only on notices: a text message's row stays as it always was.</summary>
    private static TableEntity ToEntity(ChatMessage message, string rowKey)
    {
        var entity = new TableEntity(message.Room, rowKey)
        {
            ["MessageId"] = message.Id,
            ["UserId"] = message.UserId,
            ["Name"] = message.Name,
            ["Text"] = message.Text,
            ["SentAt"] = message.SentAt,
        };
        if (message.Kind is not null)
        {
            entity["Kind"] = message.Kind;
        }
        if (message.NewName is not null)
        {
            entity["NewName"] = message.NewName;
        }
        return entity;
    }

    private static ChatMessage FromEntity(TableEntity entity) => new(
        entity.GetString("MessageId"),
        entity.PartitionKey,
        entity.GetString("UserId"),
        entity.GetString("Name"),
        entity.GetString("Text"),
        entity.GetDateTimeOffset("SentAt")!.Value,
        entity.GetString("Kind"),
        entity.GetString("NewName"));

    /// <summary>Maps an id to a key that sorts the other way round, keeping the fixed width.</summary>
    internal static string Invert(string id)
    {
        var ticks = long.Parse(id.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture);
        var tail = uint.Parse(id.AsSpan(20, 8), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        return string.Create(CultureInfo.InvariantCulture, $"{long.MaxValue - ticks:D19}-{uint.MaxValue - tail:x8}");
    }
}
