using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

public sealed partial class InMemoryInboxes(TimeProvider clock, FakeOutage? outage = null) : IInboxes
{
    /// <summary>Storage Queues return at most 32 messages per receive and refuse to be asked for more.</summary>
    public const int MaxMessagesPerReceive = 32;

    private readonly ConcurrentDictionary<string, Queue<(string Payload, DateTimeOffset Expires)>> queues = new(StringComparer.Ordinal);

    /// <summary>Dequeue attempts made so far, to show how often a long poll asked.</summary>
    public int ReceiveCalls => receiveCalls;

    private int receiveCalls;

    /// <summary>Payloads put so far, to show which deliveries went through a queue.</summary>
    public int DeliverCalls => deliverCalls;

    private int deliverCalls;

    public IReadOnlyCollection<string> QueueNames => queues.Keys.ToList();

    /// <summary>Puts to a queue this names fail, as an outage of that one queue's server would.</summary>
    public Func<string, bool>? PutsFailTo { get; set; }

    /// <summary>Puts to a queue this names are answered as done and never stored: a copy lost on its way.</summary>
    public Func<string, bool>? PutsLostTo { get; set; }

    public Task CreateAsync(string queueName, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        // Storage Queues refuse such names (400 InvalidResourceName); so does the fake, so tests catch a bad name.
        if (!ValidQueueName().IsMatch(queueName))
        {
            throw new ArgumentException($"'{queueName}' is not a valid queue name: 3-63 lowercase letters, digits and single dashes.", nameof(queueName));
        }
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
        // Storage Queues count the time-to-live in whole seconds and refuse zero (400).
        ArgumentOutOfRangeException.ThrowIfLessThan(timeToLive, TimeSpan.FromSeconds(1));
        Interlocked.Increment(ref deliverCalls);
        if (PutsFailTo?.Invoke(queueName) == true)
        {
            throw new StorageUnavailableException($"Fake put to {queueName} failed.");
        }
        if (PutsLostTo?.Invoke(queueName) == true)
        {
            return Task.FromResult(true);
        }
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
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxMessages, MaxMessagesPerReceive);
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

    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$", RegexOptions.CultureInvariant)]
    private static partial Regex ValidQueueName();

    private void Check(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
    }
}
