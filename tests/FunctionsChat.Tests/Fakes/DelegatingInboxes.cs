using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

/// <summary>Passes every call to another <see cref="IInboxes"/>; tests override the one call they need to shape.</summary>
public abstract class DelegatingInboxes(IInboxes inner) : IInboxes
{
    protected IInboxes Inner => inner;

    public virtual Task CreateAsync(string queueName, CancellationToken cancellationToken) => inner.CreateAsync(queueName, cancellationToken);

    public virtual Task DeleteAsync(string queueName, CancellationToken cancellationToken) => inner.DeleteAsync(queueName, cancellationToken);

    public virtual Task<bool> DeliverAsync(string queueName, string payload, TimeSpan timeToLive, CancellationToken cancellationToken) =>
        inner.DeliverAsync(queueName, payload, timeToLive, cancellationToken);

    public virtual Task<IReadOnlyList<string>?> ReceiveAsync(string queueName, int maxMessages, CancellationToken cancellationToken) =>
        inner.ReceiveAsync(queueName, maxMessages, cancellationToken);
}

/// <summary>Holds the first put until <see cref="Release"/>; every other call goes straight through.</summary>
public sealed class HeldFirstPut(IInboxes inner) : DelegatingInboxes(inner)
{
    private readonly TaskCompletionSource held = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int puts;

    public Task FirstPutHeld => held.Task;

    public void Release() => release.TrySetResult();

    public override async Task<bool> DeliverAsync(string queueName, string payload, TimeSpan timeToLive, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref puts) == 1)
        {
            held.TrySetResult();
            await release.Task;
        }
        return await Inner.DeliverAsync(queueName, payload, timeToLive, cancellationToken);
    }
}
