using FunctionsChat.Http;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.Health;

public sealed record HealthReport(string Status);

public sealed class Health(IStorageProbe storage)
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(5);

    [Function(nameof(Health))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "health")] HttpRequest request,
        CancellationToken cancellationToken) => StorageGuard.RunAsync(async () =>
    {
        using var probeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        probeTimeout.CancelAfter(ProbeTimeout);
        try
        {
            await storage.CheckAsync(probeTimeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StorageUnavailableException($"Storage did not answer within {ProbeTimeout.TotalSeconds} s.");
        }
        return Api.Ok(new HealthReport("healthy"));
    });
}
