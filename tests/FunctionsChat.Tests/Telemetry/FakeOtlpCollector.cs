using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FunctionsChat.Tests.Telemetry;

/// <summary>
/// An OTLP/gRPC receiver on 127.0.0.1 (HTTP/2 without TLS, as a local collector or the Aspire dashboard listens):
/// records each unary Export call's path and message, and answers OK.
/// </summary>
public sealed class FakeOtlpCollector : IAsyncDisposable
{
    public const string MetricsPath = "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    public const string TracesPath = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    public const string LogsPath = "/opentelemetry.proto.collector.logs.v1.LogsService/Export";

    private readonly WebApplication app;

    private FakeOtlpCollector(WebApplication app, Uri endpoint, ConcurrentQueue<(string Path, byte[] Message)> exports)
    {
        this.app = app;
        Endpoint = endpoint;
        Exports = exports;
    }

    public Uri Endpoint { get; }

    public ConcurrentQueue<(string Path, byte[] Message)> Exports { get; }

    public IReadOnlyList<byte[]> ExportsTo(string path) => Exports.Where(e => e.Path == path).Select(e => e.Message).ToList();

    public static async Task<FakeOtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var exports = new ConcurrentQueue<(string Path, byte[] Message)>();
        app.MapPost("/{service}/Export", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var frame = body.ToArray();
            // A gRPC frame: compressed flag (the exporter compresses only when told to), 4-byte big-endian length, message.
            var length = (int)BinaryPrimitives.ReadUInt32BigEndian(frame.AsSpan(1, 4));
            exports.Enqueue((context.Request.Path.Value!, frame.AsSpan(5, length).ToArray()));
            context.Response.ContentType = "application/grpc";
            await context.Response.Body.WriteAsync(new byte[5], context.RequestAborted); // an empty Export*ServiceResponse
            context.Response.AppendTrailer("grpc-status", "0");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new FakeOtlpCollector(app, new Uri(address), exports);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
