using FunctionsChat.Storage;
using Microsoft.AspNetCore.Mvc;

namespace FunctionsChat.Http;

/// <summary>
/// Turns a storage outage, or a request cancelled before it finished (its instance is stopping), into 503 with
/// Retry-After: the one 5xx the API gives on purpose.
/// </summary>
public static class StorageGuard
{
    public static readonly TimeSpan RetryAfter = TimeSpan.FromSeconds(5);

    public static async Task<IActionResult> RunAsync(Func<Task<IActionResult>> handle)
    {
        try
        {
            return await handle();
        }
        catch (StorageUnavailableException)
        {
            return Api.StorageUnavailable(RetryAfter);
        }
        catch (OperationCanceledException)
        {
            // Only the invocation's own token cancels a function midway (the caller left, or the instance stops):
            // whoever still reads the answer may simply try again.
            return Api.Interrupted();
        }
    }
}
