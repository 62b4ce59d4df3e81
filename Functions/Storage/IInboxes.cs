namespace FunctionsChat.Storage;

/// <summary>One queue per member. Payloads are opaque strings to the store.</summary>
public interface IInboxes
{
    Task CreateAsync(string queueName, CancellationToken cancellationToken);

    Task DeleteAsync(string queueName, CancellationToken cancellationToken);

    /// <summary>False when the queue no longer exists (the member left meanwhile).</summary>
    Task<bool> DeliverAsync(string queueName, string payload, TimeSpan timeToLive, CancellationToken cancellationToken);

    /// <summary>
    /// Takes up to <paramref name="maxMessages"/> waiting payloads, oldest first; each is returned by one call only.
    /// Null when the queue does not exist.
    /// </summary>
    Task<IReadOnlyList<string>?> ReceiveAsync(string queueName, int maxMessages, CancellationToken cancellationToken);
}
