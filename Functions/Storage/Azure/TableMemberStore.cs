using System.Runtime.CompilerServices;
using Azure;
using Azure.Data.Tables;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Storage.Azure;

/// <summary>PartitionKey = room, RowKey = userId.</summary>
internal sealed class TableMemberStore : IMemberStore
{
    private readonly TableClient table;
    private readonly CreateOnce created;

    public TableMemberStore(TableServiceClient service, IOptions<ChatOptions> options)
    {
        table = service.GetTableClient(options.Value.MembersTable);
        created = new CreateOnce(token => table.CreateIfNotExistsAsync(token));
    }

    public Task AddAsync(Member member, CancellationToken cancellationToken) => StorageCalls.RunAsync(async () =>
    {
        await created.EnsureAsync(cancellationToken);
        await table.AddEntityAsync(ToEntity(member), cancellationToken);
    }, cancellationToken);

    public Task<Member?> GetAsync(string room, string userId, CancellationToken cancellationToken) => StorageCalls.RunAsync(async () =>
    {
        await created.EnsureAsync(cancellationToken);
        var entity = await table.GetEntityIfExistsAsync<TableEntity>(room, userId, cancellationToken: cancellationToken);
        return entity.HasValue ? FromEntity(entity.Value!) : null;
    }, cancellationToken);

    public Task<IReadOnlyList<Member>> ListAsync(string room, CancellationToken cancellationToken) => StorageCalls.RunAsync<IReadOnlyList<Member>>(async () =>
    {
        await created.EnsureAsync(cancellationToken);
        var members = new List<Member>();
        await foreach (var entity in table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {room}"), cancellationToken: cancellationToken))
        {
            members.Add(FromEntity(entity));
        }
        return members;
    }, cancellationToken);

    public Task<int> CountSeenSinceAsync(string room, DateTimeOffset seenSince, int atMost, CancellationToken cancellationToken) => StorageCalls.RunAsync(async () =>
    {
        await created.EnsureAsync(cancellationToken);
        var count = 0;
        // Only RowKey comes back: a page of 1,000 members is a few tens of KB, not their names and queues.
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {room} and LastSeen ge {seenSince}");
        var pages = table.QueryAsync<TableEntity>(filter, Math.Clamp(atMost, 1, 1000), ["RowKey"], cancellationToken).AsPages();
        await foreach (var page in pages)
        {
            count += page.Values.Count;
            if (count >= atMost)
            {
                return atMost;
            }
        }
        return count;
    }, cancellationToken);

    public Task<bool> TouchAsync(string room, string userId, DateTimeOffset lastSeen, CancellationToken cancellationToken) => StorageCalls.RunAsync(async () =>
    {
        await created.EnsureAsync(cancellationToken);
        try
        {
            // Merge with ETag.All: only lastSeen changes, and never recreates a member that left meanwhile.
            await table.UpdateEntityAsync(new TableEntity(room, userId) { ["LastSeen"] = lastSeen }, ETag.All, TableUpdateMode.Merge, cancellationToken);
            return true;
        }
        catch (RequestFailedException ex) when (ex.Status == 404)
        {
            return false;
        }
    }, cancellationToken);

    public Task<bool> RemoveAsync(string room, string userId, CancellationToken cancellationToken) => StorageCalls.RunAsync(async () =>
    {
        await created.EnsureAsync(cancellationToken);
        var response = await table.DeleteEntityAsync(room, userId, ETag.All, cancellationToken);
        return response.Status != 404;
    }, cancellationToken);

    public async IAsyncEnumerable<Member> ListSilentSinceAsync(DateTimeOffset cutoff, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await StorageCalls.RunAsync(() => created.EnsureAsync(cancellationToken), cancellationToken);
        var pages = table.QueryAsync<TableEntity>(TableClient.CreateQueryFilter($"LastSeen lt {cutoff}"), cancellationToken: cancellationToken).AsPages();
        await using var pager = pages.GetAsyncEnumerator(cancellationToken);
        while (await StorageCalls.RunAsync(async () => await pager.MoveNextAsync(), cancellationToken))
        {
            foreach (var entity in pager.Current.Values)
            {
                yield return FromEntity(entity);
            }
        }
    }

    private static TableEntity ToEntity(Member member) => new(member.Room, member.UserId)
    {
        ["Name"] = member.Name,
        ["QueueName"] = member.QueueName,
        ["JoinedAt"] = member.JoinedAt,
        ["LastSeen"] = member.LastSeen,
    };

    private static Member FromEntity(TableEntity entity) => new(
        entity.PartitionKey,
        entity.RowKey,
        entity.GetString("Name"),
        entity.GetString("QueueName"),
        entity.GetDateTimeOffset("JoinedAt")!.Value,
        entity.GetDateTimeOffset("LastSeen")!.Value);
}
