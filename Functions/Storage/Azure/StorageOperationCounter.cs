using System.Diagnostics.Metrics;
using Azure.Core;
using Azure.Core.Pipeline;

namespace FunctionsChat.Storage.Azure;

/// <summary>
/// Counts every HTTP request the storage clients send, retries included (each is billed), as the
/// <c>chat.storage.operations</c> counter of the <c>FunctionsChat.Storage</c> meter, tagged with the service.
/// </summary>
public sealed class StorageOperationCounter : HttpPipelineSynchronousPolicy
{
    public const string MeterName = "FunctionsChat.Storage";
    public const string InstrumentName = "chat.storage.operations";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Operations = Meter.CreateCounter<long>(InstrumentName, unit: "{operation}", description: "Requests sent to Azure Storage");
    private readonly KeyValuePair<string, object?> serviceTag;

    public StorageOperationCounter(string service) => serviceTag = new("service", service);

    public override void OnSendingRequest(HttpMessage message) => Operations.Add(1, serviceTag);
}
