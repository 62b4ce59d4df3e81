namespace FunctionsChat.Storage.Azure;

/// <summary>Runs a creation step once per process; a failed attempt is tried again by the next caller.</summary>
internal sealed class CreateOnce(Func<CancellationToken, Task> create)
{
    private readonly Lock gate = new();
    private Task? attempt;

    public Task EnsureAsync(CancellationToken cancellationToken)
    {
        lock (gate)
        {
            if (attempt is null || attempt.IsFaulted || attempt.IsCanceled)
            {
                // Not tied to one caller's token: other callers may be waiting on the same attempt.
                attempt = create(CancellationToken.None);
            }
            return attempt.WaitAsync(cancellationToken);
        }
    }
}
