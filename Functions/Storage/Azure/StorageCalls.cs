using Azure;

namespace FunctionsChat.Storage.Azure;

/// <summary>Maps the SDK's failures that mean "storage is down or overloaded" to <see cref="StorageUnavailableException"/>.</summary>
internal static class StorageCalls
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (IsOutage(ex, cancellationToken))
        {
            throw new StorageUnavailableException("Storage could not be reached.", ex);
        }
    }

    public static Task RunAsync(Func<Task> call, CancellationToken cancellationToken) =>
        RunAsync(async () => { await call(); return true; }, cancellationToken);

    private static bool IsOutage(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        // Status 0: no HTTP answer at all (refused, reset, DNS); 5xx and 408: the service failed or timed out.
        RequestFailedException failed => failed.Status is 0 or 408 or >= 500,
        HttpRequestException or TimeoutException or IOException => true,
        // The SDK's own network timeout surfaces as a cancellation that the caller did not ask for.
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        AggregateException aggregate => aggregate.InnerExceptions.All(inner => IsOutage(inner, cancellationToken)),
        _ => false,
    };
}
