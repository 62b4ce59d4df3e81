namespace FunctionsChat.Storage;

/// <summary>Answers whether storage can be reached, for the health route.</summary>
public interface IStorageProbe
{
    /// <summary>Throws <see cref="StorageUnavailableException"/> when storage cannot be reached.</summary>
    Task CheckAsync(CancellationToken cancellationToken);
}
