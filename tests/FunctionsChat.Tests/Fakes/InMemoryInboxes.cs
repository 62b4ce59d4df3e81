using System.Collections.Concurrent;
using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

public sealed class InMemoryInboxes(TimeProvider clock, FakeOutage? outage = null) : IInboxes
{
    private readonly ConcurrentDictionary<string, Queue<(string Payload, DateTimeOffset Expires)>> queues = new(StringComparer.Ordinal);

    /// <summary>Dequeue attempts made so far, to show how often a long poll asked.</summary>
    public int ReceiveCalls => receiveCalls;

    private int receiveCalls;

    public IReadOnlyCollection<string> QueueNames => queues.Keys.ToList();

    public Task CreateAsync(string queueName, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        queues.TryAdd(queueName, new Queue<(string, DateTimeOffset)>());
        return Task.CompletedTask;
    }

    public Task DeleteAsync(string queueName, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        queues.TryRemove(queueName, out _);
        return Task.CompletedTask;
    }

    public Task<bool> DeliverAsync(string queueName, string payload, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        if (!queues.TryGetValue(queueName, out var queue))
        {
            return Task.FromResult(false);
        }
        lock (queue)
        {
            queue.Enqueue((payload, clock.GetUtcNow() + timeToLive));
        }
        return Task.FromResult(true);
    }

    public Task<IReadOnlyList<string>?> ReceiveAsync(string queueName, int maxMessages, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        Interlocked.Increment(ref receiveCalls);
        if (!queues.TryGetValue(queueName, out var queue))
        {
            return Task.FromResult<IReadOnlyList<string>?>(null);
        }
        var taken = new List<string>();
        lock (queue)
        {
            while (taken.Count < maxMessages && queue.TryDequeue(out var item))
            {
                if (item.Expires > clock.GetUtcNow())
                {
                    taken.Add(item.Payload);
                }
            }
        }
        return Task.FromResult<IReadOnlyList<string>?>(taken);
    }

    private void Check(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
    }
}
