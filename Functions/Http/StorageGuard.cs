using FunctionsChat.Storage;
using Microsoft.AspNetCore.Mvc;

namespace FunctionsChat.Http;

/// <summary>Turns a storage outage into 503 with Retry-After, the one 5xx the API gives on purpose.</summary>
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
    }
}
