using System.Collections.Concurrent;
using System.Net;
using Azure.Core.Pipeline;

namespace FunctionsChat.DeployTests.Support;

/// <summary>
/// An HTTP transport for the Table and Queue clients that answers every request with 204 and keeps it, so a test can see
/// where a client sends and how it authenticates (SharedKey vs Bearer) without any storage service running.
/// </summary>
public sealed class RecordingTransport
{
    public ConcurrentQueue<(Uri Uri, string? Authorization)> Requests { get; } = new();

    public HttpPipelineTransport Transport => new HttpClientTransport(new HttpClient(new Handler(this)));

    private sealed class Handler(RecordingTransport owner) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            owner.Requests.Enqueue((request.RequestUri!, request.Headers.Authorization?.ToString()));
            var response = new HttpResponseMessage(HttpStatusCode.NoContent) { RequestMessage = request, Content = new ByteArrayContent([]) };
            response.Headers.Add("x-ms-request-id", Guid.NewGuid().ToString());
            return Task.FromResult(response);
        }
    }
}
