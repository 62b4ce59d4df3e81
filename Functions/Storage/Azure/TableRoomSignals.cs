using System.Text.Json;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Storage.Azure;

/// <summary>
/// The room's signal is one row of its history partition, RowKey "signal" (outside the ranges the history reads),
/// with one property per writer holding that writer's entry as JSON. A raise merges only the writer's own property,
/// so concurrent raises from several instances all survive; a read is one point read.
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

    public Task RaiseAsync(string room, string writer, WriterSignal signal, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(writer);
        RoomSignalRules.CheckSignal(signal);
        return StorageCalls.RunAsync(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            var entity = new TableEntity(room, RowKey) { [WriterPrefix + writer] = Serialize(signal) };
            await table.UpsertEntityAsync(entity, TableUpdateMode.Merge, cancellationToken);
        }, cancellationToken);
    }

    public Task<IReadOnlyDictionary<string, WriterSignal>> ReadAsync(string room, CancellationToken cancellationToken) =>
        StorageCalls.RunAsync<IReadOnlyDictionary<string, WriterSignal>>(async () =>
        {
            await created.EnsureAsync(cancellationToken);
            var found = await table.GetEntityIfExistsAsync<TableEntity>(room, RowKey, cancellationToken: cancellationToken);
            if (!found.HasValue)
            {
                return new Dictionary<string, WriterSignal>(StringComparer.Ordinal);
            }
            var entity = found.Value!;
            var entries = new Dictionary<string, WriterSignal>(StringComparer.Ordinal);
            foreach (var (name, value) in entity)
            {
                if (name.StartsWith(WriterPrefix, StringComparison.Ordinal) && value is string json && Deserialize(json) is { } signal)
                {
                    entries[name[WriterPrefix.Length..]] = signal;
                }
            }
            var kept = RoomSignalRules.Kept(entries);
            if (kept.Count < entries.Count)
            {
                await DropSilentWritersAsync(room, entity, kept, cancellationToken);
            }
            return kept;
        }, cancellationToken);

    /// <summary>Instances come and go (scale-in, restarts); rewrites the row without the long-silent ones.</summary>
    private async Task DropSilentWritersAsync(string room, TableEntity read, IReadOnlyDictionary<string, WriterSignal> kept, CancellationToken cancellationToken)
    {
        var entity = new TableEntity(room, RowKey);
        foreach (var writer in kept.Keys)
        {
            entity[WriterPrefix + writer] = read[WriterPrefix + writer];
        }
        try
        {
            // Only if nobody raised since the read, or a fresh raise would be lost.
            await table.UpdateEntityAsync(entity, read.ETag, TableUpdateMode.Replace, cancellationToken);
        }
        catch (RequestFailedException ex) when (ex.Status is 404 or 412)
        {
            // Someone raised meanwhile: a later read drops them.
        }
    }

    private static readonly JsonSerializerOptions StoredJson = new() { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull };

    private static string Serialize(WriterSignal signal) => JsonSerializer.Serialize(
        new Stored(signal.DroppedThrough, signal.Rounds.Select(r => new StoredRound(r.Sequence, r.At.ToUnixTimeMilliseconds(), r.PutTo, r.HandedOver?.Select(h => $"{h.Target}/{h.Key}").ToList(), r.Missed, r.LastId)).ToList(), signal.LatestId), StoredJson);

    /// <summary>Null for an entry this version cannot read (written by another version of the app): it is skipped.</summary>
    private static WriterSignal? Deserialize(string json)
    {
        try
        {
            var stored = JsonSerializer.Deserialize<Stored>(json);
            if (stored?.R is not { Count: > 0 } rounds)
            {
                return null;
            }
            return new WriterSignal(stored.D, rounds.Select(r => new SignalRound(r.S, DateTimeOffset.FromUnixTimeMilliseconds(r.T), r.Q, r.H?.Select(ToKey).ToList(), r.M, r.I)).ToList(), stored.L);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    // Short names: the whole record is rewritten by every raise and read by every watcher.
    private sealed record Stored(long D, List<StoredRound> R, string? L = null);

    private static HandOverKey ToKey(string stored)
    {
        var slash = stored.IndexOf('/');
        return slash < 0 ? throw new JsonException("A hand-over key is 'target/key'.") : new HandOverKey(stored[..slash], stored[(slash + 1)..]);
    }

    private sealed record StoredRound(long S, long T, IReadOnlyList<string>? Q, IReadOnlyList<string>? H, IReadOnlyList<string>? M = null, string? I = null);
}
