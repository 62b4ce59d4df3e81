using System.Runtime.CompilerServices;
using FunctionsChat.Storage;

namespace FunctionsChat.Simulation.Sim;

// The storage ports as one instance sees them: each call goes through StorageModel.CallAsync to the shared fake.
// Table resources are partitions ("t:{table}/{partition}"): history, signals, waiting sets and hand-overs share the
// room's partition of the history table (as the Azure adapters store them); members are their own table. Queues are
// "q:{name}".

internal sealed class ModelHistory(StorageModel model, string instance) : IMessageHistory
{
    public Task<AppendResult> AppendAsync(ChatMessage message, string? dedupeKey, CancellationToken cancellationToken) =>
        model.CallAsync("history", instance, StorageOp.TableBatch, $"t:h/{message.Room}", write: true, dedupeKey is null ? 1 : 2,
            () => model.History.AppendAsync(message, dedupeKey, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken, what: "append " + message.Text);

    public Task MarkDeliveredAsync(string room, string dedupeKey, CancellationToken cancellationToken) =>
        model.CallAsync("history", instance, StorageOp.TableWrite, $"t:h/{room}", write: true, 1,
            () => model.History.MarkDeliveredAsync(room, dedupeKey, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken, what: "mark-delivered");

    public Task<IReadOnlyList<ChatMessage>> QueryAsync(string room, HistoryQuery query, CancellationToken cancellationToken) =>
        model.CallAsync("history", instance, StorageOp.TableQuery, $"t:h/{room}", write: false, 1,
            () => model.History.QueryAsync(room, query, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);
}

internal sealed class ModelMembers(StorageModel model, string instance) : IMemberStore
{
    public Task AddAsync(Member member, CancellationToken cancellationToken) =>
        model.CallAsync("members", instance, StorageOp.TableWrite, $"t:m/{member.Room}", write: true, 1, () =>
        {
            model.Members.AddAsync(member, CancellationToken.None).GetAwaiter().GetResult();
            model.JoinOrder.TryAdd(member.UserId, model.JoinOrder.Count);
        }, cancellationToken);

    public Task<Member?> GetAsync(string room, string userId, CancellationToken cancellationToken) =>
        model.CallAsync("members", instance, StorageOp.TablePointRead, $"t:m/{room}", write: false, 1,
            () => model.Members.GetAsync(room, userId, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);

    // Azure returns them by RowKey (the random user id); here by join order, so the order is the same in every run.
    public Task<IReadOnlyList<Member>> ListAsync(string room, CancellationToken cancellationToken) =>
        model.CallAsync<IReadOnlyList<Member>>("members", instance, StorageOp.TableQuery, $"t:m/{room}", write: false, 1,
            () => Ordered(model.Members.ListAsync(room, CancellationToken.None).GetAwaiter().GetResult()), cancellationToken);

    public Task<int> CountSeenSinceAsync(string room, DateTimeOffset seenSince, int atMost, CancellationToken cancellationToken) =>
        model.CallAsync("members", instance, StorageOp.TableQuery, $"t:m/{room}", write: false, 1,
            () => model.Members.CountSeenSinceAsync(room, seenSince, atMost, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);

    public Task<bool> TouchAsync(string room, string userId, DateTimeOffset lastSeen, CancellationToken cancellationToken) =>
        model.CallAsync("members", instance, StorageOp.TableWrite, $"t:m/{room}", write: true, 1,
            () => model.Members.TouchAsync(room, userId, lastSeen, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);

    public Task<bool> RemoveAsync(string room, string userId, CancellationToken cancellationToken) =>
        model.CallAsync("members", instance, StorageOp.TableWrite, $"t:m/{room}", write: true, 1,
            () => model.Members.RemoveAsync(room, userId, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);

    public async IAsyncEnumerable<Member> ListSilentSinceAsync(DateTimeOffset cutoff, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await model.CallAsync("members", instance, StorageOp.TableQuery, "t:m/*", write: false, 1, () => { }, cancellationToken);
        var all = new List<Member>();
        await foreach (var member in model.Members.ListSilentSinceAsync(cutoff, CancellationToken.None))
        {
            all.Add(member);
        }
        foreach (var member in Ordered(all))
        {
            yield return member;
        }
    }

    private IReadOnlyList<Member> Ordered(IEnumerable<Member> members) =>
        members.OrderBy(m => model.JoinOrder.GetValueOrDefault(m.UserId, int.MaxValue)).ThenBy(m => m.UserId, StringComparer.Ordinal).ToList();
}

internal sealed class ModelInboxes(StorageModel model, string instance) : IInboxes
{
    public Task CreateAsync(string queueName, CancellationToken cancellationToken) =>
        model.CallAsync("queues", instance, StorageOp.QueueAdmin, "q:" + queueName, write: true, 1,
            () => model.Inboxes.CreateAsync(queueName, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);

    public Task DeleteAsync(string queueName, CancellationToken cancellationToken) =>
        model.CallAsync("queues", instance, StorageOp.QueueAdmin, "q:" + queueName, write: true, 1,
            () => model.Inboxes.DeleteAsync(queueName, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);

    public Task<bool> DeliverAsync(string queueName, string payload, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        model.CallAsync("queues", instance, StorageOp.QueuePut, "q:" + queueName, write: true, 1,
            () => model.Inboxes.DeliverAsync(queueName, payload, timeToLive, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken,
            what: model.Describe("q:" + queueName) + " " + string.Join(",", FunctionsChat.Storage.InboxPayload.Deserialize(payload).Select(m => m.Text)));

    // The Azure adapter deletes each message it took: one more request per message.
    public Task<IReadOnlyList<string>?> ReceiveAsync(string queueName, int maxMessages, CancellationToken cancellationToken) =>
        model.CallAsync("queues", instance, StorageOp.QueueReceive, "q:" + queueName, write: true, 1,
            () => model.Inboxes.ReceiveAsync(queueName, maxMessages, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken,
            extraOperations: taken => taken?.Count ?? 0);
}

internal sealed class ModelSignals(StorageModel model, string instance) : IRoomSignals
{
    public Task RaiseAsync(string room, string writer, WriterSignal signal, CancellationToken cancellationToken) =>
        model.CallAsync("signal", instance, StorageOp.TableWrite, $"t:h/{room}", write: true, 1,
            () => model.Signals.RaiseAsync(room, writer, signal, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken, what: "signal");

    public Task<IReadOnlyDictionary<string, WriterSignal>> ReadAsync(string room, CancellationToken cancellationToken) =>
        model.CallAsync("signal", instance, StorageOp.TablePointRead, $"t:h/{room}", write: false, 1,
            () => model.Signals.ReadAsync(room, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);
}

internal sealed class ModelHandOvers(StorageModel model, string instance) : IHandOvers
{
    public Task PublishWaitingAsync(string room, string instanceName, IReadOnlyCollection<string> queueNames, DateTimeOffset at, CancellationToken cancellationToken) =>
        model.CallAsync("handovers", instance, StorageOp.TableWrite, $"t:h/{room}", write: true, 1,
            () => model.HandOvers.PublishWaitingAsync(room, instanceName, queueNames, at, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken, what: $"publish-waiting {queueNames.Count}");

    public Task<IReadOnlyList<WaitingSet>> ReadWaitingAsync(string room, CancellationToken cancellationToken) =>
        model.CallAsync("handovers", instance, StorageOp.TablePointRead, $"t:h/{room}", write: false, 1,
            () => model.HandOvers.ReadWaitingAsync(room, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);

    public Task<IReadOnlyList<string>> SendAsync(string room, IReadOnlyList<HandOver> handOvers, CancellationToken cancellationToken) =>
        model.CallAsync("handovers", instance, StorageOp.TableBatch, $"t:h/{room}", write: true, handOvers.Count,
            () => model.HandOvers.SendAsync(room, handOvers, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken, what: "hand-over " + string.Join("; ", handOvers.Select(h =>
                $"to {h.Target} for {string.Join(",", h.QueueNames.Select(q => model.Describe("q:" + q)))}: {string.Join(",", h.Messages.Select(m => m.Text))}")));

    // Point reads per key, or one range query.
    public Task<IReadOnlyList<ReceivedHandOver>> ReceiveAsync(string room, string instanceName, IReadOnlyCollection<string>? keys, CancellationToken cancellationToken) =>
        model.CallAsync("handovers", instance, keys is null ? StorageOp.TableQuery : StorageOp.TablePointRead, $"t:h/{room}", write: false, keys?.Count ?? 1,
            () => model.HandOvers.ReceiveAsync(room, instanceName, keys, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken,
            extraOperations: _ => Math.Max(0, (keys?.Count ?? 1) - 1));

    public Task<IReadOnlyList<ReceivedHandOver>> ReadAllAsync(string room, CancellationToken cancellationToken) =>
        model.CallAsync("handovers", instance, StorageOp.TableQuery, $"t:h/{room}", write: false, 1,
            () => model.HandOvers.ReadAllAsync(room, CancellationToken.None).GetAwaiter().GetResult(), cancellationToken);

    public Task RemoveAsync(string room, string target, IReadOnlyList<string> keys, CancellationToken cancellationToken) =>
        model.CallAsync("handovers", instance, StorageOp.TableBatch, $"t:h/{room}", write: true, keys.Count,
            () => { model.HandOvers.RemoveAsync(room, target, keys, CancellationToken.None).GetAwaiter().GetResult(); return true; }, cancellationToken, what: $"remove {keys.Count} at {target}");
}
