using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Storage.Azure;

/// <summary>
/// Rows of the room's history partition, outside the ranges the history reads. Row "waiting" has one property per
/// instance, "{at} {queue} {queue}...", merged by that instance alone, so reading every set is one point read. Row
/// "h-{target}-{key}" is one hand-over to the target instance; all of one send go in one batch, the target reads each
/// by key (point reads: a query, even of one RowKey range, costs far more on Azurite, which scans the table) and
/// removes it once delivered.
/// </summary>
internal sealed class TableHandOvers : IHandOvers
{
    private const string WaitingRow = "waiting";
    private const string WaitingPrefix = "p";
    private const string HandOverPrefix = "h-";
    private const string QueuesProperty = "Queues";
    private const string MessagesProperty = "Messages";
    private const string ForwardedProperty = "Forwarded";
    private const int MaxBatch = 100;
    private readonly TableClient table;
    private readonly CreateOnce created;

    public TableHandOvers(TableServiceClient service, IOptions<ChatOptions> options)
    {
        table = service.GetTableClient(options.Value.HistoryTable);
        created = new CreateOnce(token => table.CreateIfNotExistsAsync(token));
    }

    public Task PublishWaitingAsync(string room, string instance, IReadOnlyCollection<string> queueNames, DateTimeOffset at, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(instance);
        HandOverRules.CheckWaiting(queueNames);
        // An empty value withdraws: a merge cannot remove a property, and a rewrite could lose another instance's.
        var value = queueNames.Count == 0 ? "" : $"{at.ToUnixTimeMilliseconds()} {string.Join(' ', queueNames)}";
        return StorageCalls.RunAsync(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            await table.UpsertEntityAsync(new TableEntity(room, WaitingRow) { [WaitingPrefix + instance] = value }, TableUpdateMode.Merge, cancellationToken);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<WaitingSet>> ReadWaitingAsync(string room, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync<IReadOnlyList<WaitingSet>>(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            var found = await table.GetEntityIfExistsAsync<TableEntity>(room, WaitingRow, cancellationToken: cancellationToken);
            if (!found.HasValue)
            {
                return [];
            }
            var sets = new List<WaitingSet>();
            foreach (var (name, value) in found.Value!)
            {
                if (name.StartsWith(WaitingPrefix, StringComparison.Ordinal) && value is string { Length: > 0 } text)
                {
                    var parts = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (parts.Length > 1 && long.TryParse(parts[0], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var at))
                    {
                        sets.Add(new WaitingSet(name[WaitingPrefix.Length..], parts[1..], DateTimeOffset.FromUnixTimeMilliseconds(at)));
                    }
                }
            }
            if (found.Value!.Keys.Count(k => k.StartsWith(WaitingPrefix, StringComparison.Ordinal)) > RoomSignalRules.MaxWriters)
            {
                await DropOldInstancesAsync(room, found.Value!, sets, cancellationToken);
            }
            return sets;
        }, cancellationToken);

    /// <summary>Instances come and go: past a few, rewrites the row with only the sets published lately.</summary>
    private async Task DropOldInstancesAsync(string room, TableEntity read, List<WaitingSet> sets, CancellationToken cancellationToken)
    {
        var newest = sets.Count > 0 ? sets.Max(s => s.At) : DateTimeOffset.MinValue;
        var entity = new TableEntity(room, WaitingRow);
        foreach (var set in sets.Where(s => newest - s.At < RoomSignalRules.SilentWriterAge))
        {
            entity[WaitingPrefix + set.Instance] = read[WaitingPrefix + set.Instance];
        }
        try
        {
            // Only if nobody published since the read.
            await table.UpdateEntityAsync(entity, read.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // A later read tries again.
        }
    }

    public Task<IReadOnlyList<string>> SendAsync(string room, IReadOnlyList<HandOver> handOvers, CancellationToken cancellationToken)
    {
        if (handOvers.Count is 0 or > MaxBatch)
        {
            throw new ArgumentException($"One send stores 1 to {MaxBatch} hand-overs.", nameof(handOvers));
        }
        var keys = handOvers.Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var entities = handOvers.Select((handOver, i) => ToEntity(room, handOver, keys[i])).ToList();
        return StorageCalls.RunAsync<IReadOnlyList<string>>(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            await table.SubmitTransactionAsync(entities.Select(e => new TableTransactionAction(TableTransactionActionType.Add, e)), cancellationToken);
            return keys;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ReceivedHandOver>> ReceiveAsync(string room, string instance, IReadOnlyCollection<string>? keys, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(instance);
        var (from, to) = TargetRange(instance);
        return StorageCalls.RunAsync<IReadOnlyList<ReceivedHandOver>>(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            var entities = new List<TableEntity>();
            if (keys is null)
            {
                var filter = TableClient.CreateQueryFilter($"PartitionKey eq {room} and RowKey ge {from} and RowKey lt {to}");
                await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
                {
                    entities.Add(entity);
                }
            }
            else
            {
                var found = await Task.WhenAll(keys.Select(key => table.GetEntityIfExistsAsync<TableEntity>(room, from + key, cancellationToken: cancellationToken)));
                entities.AddRange(found.Where(f => f.HasValue).Select(f => f.Value!));
            }
            return Parse(entities);
        }, cancellationToken);
    }

    public Task<IReadOnlyList<ReceivedHandOver>> ReadAllAsync(string room, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync<IReadOnlyList<ReceivedHandOver>>(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            // "h-" up to "h." holds every target's rows, as no instance name holds '-' or '.'.
            var filter = TableClient.CreateQueryFilter($"PartitionKey eq {room} and RowKey ge {HandOverPrefix} and RowKey lt {"h."}");
            var entities = new List<TableEntity>();
            await foreach (var entity in table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
            {
                entities.Add(entity);
            }
            return Parse(entities);
        }, cancellationToken);

    /// <summary>Rows this version cannot read (no messages, no queues, a malformed key) are left out, never thrown on.</summary>
    private static IReadOnlyList<ReceivedHandOver> Parse(IEnumerable<TableEntity> entities)
    {
        var received = new List<ReceivedHandOver>();
        foreach (var entity in entities)
        {
            var rest = entity.RowKey[HandOverPrefix.Length..];
            var dash = rest.IndexOf('-');
            IReadOnlyList<ChatMessage> messages;
            try
            {
                messages = InboxPayload.Deserialize(entity.GetString(MessagesProperty) ?? "[]");
            }
            catch (System.Text.Json.JsonException)
            {
                continue;
            }
            var queues = (entity.GetString(QueuesProperty) ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (dash > 0 && messages.Count > 0 && queues.Length > 0)
            {
                received.Add(new ReceivedHandOver(rest[..dash], rest[(dash + 1)..], queues, messages, entity.GetBoolean(ForwardedProperty) == true));
            }
        }
        return received.OrderBy(r => r.Messages[0].Id, StringComparer.Ordinal).ToList();
    }

    public Task RemoveAsync(string room, string target, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(target);
        var (prefix, _) = TargetRange(target);
        return StorageCalls.RunAsync(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            foreach (var chunk in keys.Distinct(StringComparer.Ordinal).Chunk(MaxBatch))
            {
                try
                {
                    await table.SubmitTransactionAsync(chunk.Select(key => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(room, prefix + key), ETag.All)), cancellationToken);
                }
                catch (TableTransactionFailedException ex) when (ex.Status == 404)
                {
                    // One was gone already (a retry, or another instance delivered it too): the rest one by one.
                    foreach (var key in chunk)
                    {
                        await table.DeleteEntityAsync(room, prefix + key, ETag.All, cancellationToken);
                    }
                }
            }
        }, cancellationToken);
    }

    private static TableEntity ToEntity(string room, HandOver handOver, string key)
    {
        HandOverRules.Check(handOver);
        var messages = InboxPayload.Serialize(handOver.Messages);
        if (messages.Length > HandOverRules.MaxMessageCharacters)
        {
            throw new ArgumentException("A hand-over's messages are too long for one row.", nameof(handOver));
        }
        var (prefix, _) = TargetRange(handOver.Target);
        return new TableEntity(room, prefix + key)
        {
            [QueuesProperty] = string.Join(' ', handOver.QueueNames),
            [MessagesProperty] = messages,
            [ForwardedProperty] = handOver.Forwarded,
        };
    }

    /// <summary>"h-{target}-" up to (not including) "h-{target}." : one target's rows, as no name holds '-' or '.'.</summary>
    private static (string From, string To) TargetRange(string target) => ($"{HandOverPrefix}{target}-", $"{HandOverPrefix}{target}.");
}
