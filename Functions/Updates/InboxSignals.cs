using System.Collections.Concurrent;

namespace FunctionsChat.Updates;

/// <summary>
/// Wakes a long poll on this instance as soon as a send on this instance fills its queue. Only a shortcut: polls on
/// other instances find the message on their next dequeue attempt.
/// </summary>
public sealed class InboxSignals
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource> waiting = new(StringComparer.Ordinal);

    /// <summary>
    /// A task that completes at the next <see cref="Signal"/> of this queue. Take it before the dequeue attempt,
    /// so a delivery that lands during the attempt still wakes the wait that follows it.
    /// </summary>
    public Task NextSignal(string queueName) =>
        waiting.GetOrAdd(queueName, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Signal(string queueName)
    {
        if (waiting.TryRemove(queueName, out var pending))
        {
            pending.TrySetResult();
        }
    }

    /// <summary>Drops the entry of a member that left, so the map does not grow with departed members.</summary>
    public void Forget(string queueName) => Signal(queueName);
}
