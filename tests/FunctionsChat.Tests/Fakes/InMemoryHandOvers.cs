using FunctionsChat.Messages;
using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

public sealed class InMemoryHandOvers(FakeOutage? outage = null) : IHandOvers
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Room, string Instance), WaitingSet> waiting = [];
    private readonly Dictionary<(string Room, string Target), Dictionary<string, ReceivedHandOver>> handOvers = [];
    private int sendCalls;
    private int receiveCalls;

    public int SendCalls => Volatile.Read(ref sendCalls);

    public int ReceiveCalls => Volatile.Read(ref receiveCalls);

    /// <summary>While set, sends fail with it after storing nothing.</summary>
    public Exception? SendsFailWith { get; set; }

    /// <summary>While set, removes take effect and then fail with it: a commit whose answer was lost.</summary>
    public Exception? RemovesCommitThenFailWith { get; set; }

    /// <summary>While set, reads of hand-overs fail with it: a row this instance cannot read, say.</summary>
    public Exception? ReceivesFailWith { get; set; }

    /// <summary>While set, receives wait for it (or their token) first: a call that gets no answer.</summary>
    public Task? ReceivesWaitFor { get; set; }

    public Task PublishWaitingAsync(string room, string instance, IReadOnlyCollection<string> queueNames, DateTimeOffset at, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(instance);
        HandOverRules.CheckWaiting(queueNames);
        Check(cancellationToken);
        lock (gate)
        {
            if (queueNames.Count == 0)
            {
                waiting.Remove((room, instance));
            }
            else
            {
                waiting[(room, instance)] = new WaitingSet(instance, [.. queueNames], at);
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WaitingSet>> ReadWaitingAsync(string room, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        lock (gate)
        {
            var sets = waiting.Where(w => w.Key.Room == room).Select(w => w.Value).ToList();
            if (sets.Count > RoomSignalRules.MaxWriters)
            {
                // Like the store: past a few instances, those long silent are dropped after this read.
                var newest = sets.Max(s => s.At);
                foreach (var old in sets.Where(s => newest - s.At >= RoomSignalRules.SilentWriterAge))
                {
                    waiting.Remove((room, old.Instance));
                }
            }
            return Task.FromResult<IReadOnlyList<WaitingSet>>(sets);
        }
    }

    public Task<IReadOnlyList<string>> SendAsync(string room, IReadOnlyList<HandOver> sent, CancellationToken cancellationToken)
    {
        if (sent.Count is 0 or > 100)
        {
            throw new ArgumentException("One send stores 1 to 100 hand-overs.", nameof(sent));
        }
        foreach (var handOver in sent)
        {
            HandOverRules.Check(handOver);
            if (InboxPayload.Serialize(handOver.Messages).Length > HandOverRules.MaxMessageCharacters)
            {
                throw new ArgumentException("A hand-over's messages are too long for one row.", nameof(sent));
            }
        }
        Check(cancellationToken);
        Interlocked.Increment(ref sendCalls);
        if (SendsFailWith is { } failure)
        {
            throw failure;
        }
        var keys = new List<string>();
        lock (gate)
        {
            foreach (var handOver in sent)
            {
                if (!handOvers.TryGetValue((room, handOver.Target), out var rows))
                {
                    handOvers[(room, handOver.Target)] = rows = new Dictionary<string, ReceivedHandOver>(StringComparer.Ordinal);
                }
                var key = Guid.NewGuid().ToString("N");
                rows[key] = new ReceivedHandOver(handOver.Target, key, [.. handOver.QueueNames], [.. handOver.Messages], handOver.Forwarded);
                keys.Add(key);
            }
        }
        return Task.FromResult<IReadOnlyList<string>>(keys);
    }

    public async Task<IReadOnlyList<ReceivedHandOver>> ReceiveAsync(string room, string instance, IReadOnlyCollection<string>? keys, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(instance);
        Check(cancellationToken);
        Interlocked.Increment(ref receiveCalls);
        if (ReceivesWaitFor is { } slow)
        {
            await slow.WaitAsync(cancellationToken);
        }
        if (ReceivesFailWith is { } failure)
        {
            throw failure;
        }
        lock (gate)
        {
            var rows = handOvers.TryGetValue((room, instance), out var found) ? found.Values.Where(r => keys is null || keys.Contains(r.Key)).ToList() : [];
            return rows.OrderBy(r => r.Messages[0].Id, StringComparer.Ordinal).ToList();
        }
    }

    public Task<IReadOnlyList<ReceivedHandOver>> ReadAllAsync(string room, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        lock (gate)
        {
            var rows = handOvers.Where(h => h.Key.Room == room).SelectMany(h => h.Value.Values).ToList();
            return Task.FromResult<IReadOnlyList<ReceivedHandOver>>(rows.OrderBy(r => r.Messages[0].Id, StringComparer.Ordinal).ToList());
        }
    }

    public Task RemoveAsync(string room, string target, IReadOnlyList<string> keys, CancellationToken cancellationToken)
    {
        RoomSignalRules.CheckWriter(target);
        Check(cancellationToken);
        lock (gate)
        {
            var rows = handOvers.GetValueOrDefault((room, target));
            foreach (var key in keys)
            {
                rows?.Remove(key);
            }
        }
        return RemovesCommitThenFailWith is { } failure ? Task.FromException(failure) : Task.CompletedTask;
    }

    /// <summary>Every hand-over stored in the room and not removed, whatever its target.</summary>
    public int Count(string room)
    {
        lock (gate)
        {
            return handOvers.Where(h => h.Key.Room == room).Sum(h => h.Value.Count);
        }
    }

    private void Check(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
    }
}
