using System.Collections.Concurrent;
using System.Net;
using FunctionsChat.DevServer.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FunctionsChat.DevServer.Workers;

/// <summary>
/// The host side of the Functions RPC protocol: <c>FunctionRpc.EventStream</c> over HTTP/2 without TLS on a free
/// loopback port, in a server of its own (the chat's Kestrel speaks HTTP/1.1 on the address the developer chose).
/// A worker's stream is handed to the <see cref="WorkerChannel"/> that was expecting its worker id.
/// </summary>
public sealed class RpcServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, WorkerChannel> _expected = new();
    private WebApplication _app = null!;

    public Uri Uri { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    public static async Task<RpcServer> StartAsync(Action<WebApplicationBuilder>? configure = null, Action<WebApplication>? map = null)
    {
        var server = new RpcServer();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2);
            kestrel.Limits.MaxRequestBodySize = null;
        });
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = null;
            options.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(server);
        configure?.Invoke(builder);
        server._app = builder.Build();
        server._app.MapGrpcService<FunctionRpcService>();
        map?.Invoke(server._app);
        await server._app.StartAsync();
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        server.Uri = new Uri(address.Replace("[::1]", "127.0.0.1").TrimEnd('/') + "/");
        return server;
    }

    public void Expect(WorkerChannel channel) => _expected[channel.WorkerId] = channel;

    public void Forget(string workerId) => _expected.TryRemove(workerId, out _);

    internal bool TryClaim(string workerId, out WorkerChannel channel) => _expected.TryRemove(workerId, out channel!);

    public async ValueTask DisposeAsync()
    {
        using var quick = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(quick.Token);
        await _app.DisposeAsync();
    }
}

/// <summary>Accepts a worker's event stream: its first message must be <c>StartStream</c> with a worker id we started.</summary>
internal sealed class FunctionRpcService(RpcServer server) : FunctionRpc.FunctionRpcBase
{
    public override async Task EventStream(IAsyncStreamReader<StreamingMessage> requestStream, IServerStreamWriter<StreamingMessage> responseStream, ServerCallContext context)
    {
        if (!await requestStream.MoveNext(context.CancellationToken) || requestStream.Current.StartStream is not { } start)
        {
            throw new Grpc.Core.RpcException(new Status(StatusCode.InvalidArgument, "The first message must be StartStream."));
        }
        if (!server.TryClaim(start.WorkerId, out var channel))
        {
            throw new Grpc.Core.RpcException(new Status(StatusCode.NotFound, $"No worker '{start.WorkerId}' was started by this host."));
        }
        await channel.RunStreamAsync(requestStream, responseStream, context.CancellationToken);
    }
}
