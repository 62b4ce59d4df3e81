using Azure.Core;
using Azure.Core.Pipeline;
using FunctionsChat.Telemetry;

namespace FunctionsChat.Storage.Azure;

/// <summary>
/// Counts every HTTP request the storage clients send, retries included (each is billed), as the
/// <c>chat.storage.operations</c> counter of the <c>FunctionsChat.Storage</c> meter, tagged with the service.
/// </summary>
public sealed class StorageOperationCounter(ChatMetrics metrics, string service) : HttpPipelineSynchronousPolicy
{
    public const string MeterName = ChatMetrics.StorageMeterName;
    public const string InstrumentName = ChatMetrics.StorageOperationsName;
    private readonly KeyValuePair<string, object?> serviceTag = new("service", service);

    public override void OnSendingRequest(HttpMessage message) => metrics.StorageOperation(serviceTag);
}
