using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Storage.Azure;

/// <summary>
/// The room's signal is one row of its history partition, RowKey "signal" (outside the "a-", "c-" and "d-" ranges the
/// history reads), with one property per writer. A raise merges only the writer's own property, so concurrent raises
/// from several instances all survive; a read is one point read.
/// </summary>
internal sealed class TableRoomSignals : IRoomSignals
{
    private const string RowKey = "signal";
    private const string WriterPrefix = "w";
    private readonly TableClient table;
    private readonly CreateOnce created;

    public TableRoomSignals(TableServiceClient service, IOptions<ChatOptions> options)
    {
        table = service.GetTableClient(options.Value.HistoryTable);
        created = new CreateOnce(token => table.CreateIfNotExistsAsync(token));
    }

    public Task RaiseAsync(string room, string writer, string messageId, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(writer);
        return StorageCalls.RunAsync(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            var entity = new TableEntity(room, RowKey) { [WriterPrefix + writer] = messageId };
            await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
        }, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, string>> ReadAsync(string room, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync<IReadOnlyDictionary<string, string>>(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            var found = await table.GetEntityIfExistsAsync<TableEntity>(room, RowKey, cancellationToken: cancellationToken);
            if (!found.HasValue)
            {
                return new Dictionary<string, string>(StringComparer.Ordinal);
            }
            var entity = found.Value!;
            var entries = entity
                .Where(p => p.Key.StartsWith(WriterPrefix, StringComparison.Ordinal) && p.Value is string)
                .ToDictionary(p => p.Key[WriterPrefix.Length..], p => (string)p.Value, StringComparer.Ordinal);
            var kept = RoomSignalRules.Kept(entries);
            if (kept.Count < entries.Count)
            {
                await DropSilentWritersAsync(room, kept, entity.ETag, cancellationToken);
            }
            return kept;
        }, cancellationToken);

    /// <summary>Instances come and go (scale-in, restarts); rewrites the row without the long-silent ones.</summary>
    private async Task DropSilentWritersAsync(string room, IReadOnlyDictionary<string, string> kept, ETag read, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(room, RowKey);
        foreach (var (writer, id) in kept)
        {
            entity[WriterPrefix + writer] = id;
        }
        try
        {
            // Only if nobody raised since the read, or a fresh raise would be lost.
            await table.UpdateEntityAsync(entity, read, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Someone raised meanwhile: a later read drops them.
        }
    }
}
