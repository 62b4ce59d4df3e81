using System.Net;
using System.Net.Sockets;
using System.Reflection;
using System.Text;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using Azure.Storage.Queues;
using FunctionsChat.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FunctionsChat.Tests.Telemetry;

/// <summary>
/// An OpenTelemetry MeterProvider listens to every meter of a name in the process, whichever service provider made it:
/// tests that export run alone, so other tests' sends and polls do not count into what they check.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExportingTelemetryCollection
{
    public const string Name = "Exporting telemetry";
}

/// <summary>
/// AddChatTelemetry picks its exporters from the settings: none, OTLP, Azure Monitor or both. Azure Monitor is checked by
/// its registration only (sending would reach for Azure); OTLP really sends, to a gRPC collector on 127.0.0.1.
/// </summary>
[Collection(ExportingTelemetryCollection.Name)]
public sealed class TelemetryRegistrationTests
{
    private const string ConnectionString = "InstrumentationKey=00000000-0000-0000-0000-000000000001;IngestionEndpoint=https://example.invalid/";
    private const string WorkerOpenTelemetryCapability = "WorkerOpenTelemetryEnabled";
    private static readonly Assembly AzureMonitorExporter = typeof(AzureMonitorExporterOptions).Assembly;
    private static readonly Assembly OtlpExporter = typeof(OtlpExporterOptions).Assembly;

    [Fact]
    public void WithNeitherSettingNothingIsRegisteredAndTheHostKeepsForwardingTheWorkersLogs()
    {
        var services = new ServiceCollection();

        services.AddChatTelemetry(Configuration([]));

        Assert.Empty(services);
    }

    [Fact]
    public void AnOtlpEndpointAloneRegistersTheOtlpExporterButNotAzureMonitor()
    {
        var services = Register(new() { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317" });

        Assert.True(Mentions(services, OtlpExporter));
        Assert.False(Mentions(services, AzureMonitorExporter));
        AssertTelemetryProviders(services);
    }

    [Fact]
    public void AConnectionStringAloneRegistersAzureMonitorWithThatStringAndNoCredential()
    {
        var services = Register(new() { [TelemetryExporters.ConnectionStringSetting] = ConnectionString });

        Assert.True(Mentions(services, AzureMonitorExporter));
        Assert.False(Mentions(services, OtlpExporter));
        AssertTelemetryProviders(services);
        var options = AzureMonitorOptions(services);
        Assert.Equal(ConnectionString, options.ConnectionString);
        Assert.Null(options.Credential);
    }

    [Fact]
    public void AnAadAuthenticationStringMakesAzureMonitorSendWithAManagedIdentityCredential()
    {
        var services = Register(new()
        {
            [TelemetryExporters.ConnectionStringSetting] = ConnectionString,
            [TelemetryExporters.AuthenticationStringSetting] = "Authorization=AAD;ClientId=11111111-2222-3333-4444-555555555555",
        });

        Assert.IsType<ManagedIdentityCredential>(AzureMonitorOptions(services).Credential);
    }

    [Fact]
    public void BothSettingsRegisterBothExporters()
    {
        var services = Register(new()
        {
            [TelemetryExporters.ConnectionStringSetting] = ConnectionString,
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4317",
        });

        Assert.True(Mentions(services, AzureMonitorExporter));
        Assert.True(Mentions(services, OtlpExporter));
    }

    [Theory]
    [InlineData("Authorization=AAD;ClientId=abc", "abc")]
    [InlineData("ClientId=abc;Authorization=AAD", "abc")]
    [InlineData(" clientid = abc ; authorization = aad ;", "abc")]
    [InlineData("Authorization=AAD", null)]
    public void TheAuthenticationStringNamesTheIdentityInTheHostsFormat(string authentication, string? clientId)
    {
        var exporters = TelemetryExporters.From(Configuration(new()
        {
            [TelemetryExporters.ConnectionStringSetting] = ConnectionString,
            [TelemetryExporters.AuthenticationStringSetting] = authentication,
        }));

        Assert.Equal(new AzureMonitorExport(ConnectionString, UsesManagedIdentity: true, clientId), exporters.AzureMonitor);
        Assert.False(exporters.Otlp);
    }

    [Theory]
    [InlineData("ClientId=abc")]
    [InlineData("Authorization=Key")]
    [InlineData("Authorization=AAD;ClientId=")]
    [InlineData("Authorization=AAD;Secret=x")]
    [InlineData("Authorization=AAD;Authorization=AAD")]
    [InlineData("AAD")]
    public void AnAuthenticationStringThatIsNotTheHostsFormatFailsStartupWithTheExpectedFormat(string authentication)
    {
        var error = Assert.Throws<InvalidOperationException>(() => TelemetryExporters.From(Configuration(new()
        {
            [TelemetryExporters.ConnectionStringSetting] = ConnectionString,
            [TelemetryExporters.AuthenticationStringSetting] = authentication,
        })));

        Assert.Contains("Authorization=AAD;ClientId=", error.Message);
    }

    [Fact]
    public void WithoutAnAuthenticationStringAzureMonitorUsesTheConnectionStringsKey()
    {
        var exporters = TelemetryExporters.From(Configuration(new() { [TelemetryExporters.ConnectionStringSetting] = ConnectionString }));

        Assert.Equal(new AzureMonitorExport(ConnectionString, UsesManagedIdentity: false, null), exporters.AzureMonitor);
        Assert.Null(exporters.AzureMonitor!.CreateCredential());
    }

    [Fact]
    public async Task WithAnOtlpEndpointTheWorkerSendsItsLogsSpansAndChatMetricsOverGrpcCumulativelyEveryExportInterval()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        var marker = Guid.NewGuid().ToString("N");
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // What DevServer sets for the worker: the base endpoint (gRPC is the default protocol) and a 1 s interval.
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Endpoint.ToString(),
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "300",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "100",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "100",
            ["Chat:SigningKey"] = Functions.ChatTestApp.SigningKey,
            // Storage that refuses every connection: each attempt is still a counted operation, and nothing leaves 127.0.0.1.
            ["AzureWebJobsStorage"] = $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={Convert.ToBase64String(new byte[32])};" +
                $"QueueEndpoint=http://127.0.0.1:{ClosedLoopbackPort()}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{ClosedLoopbackPort()}/devstoreaccount1",
        });
        builder.Services.AddChat(builder.Configuration);
        builder.Services.AddChatTelemetry(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();

        var metrics = host.Services.GetRequiredService<ChatMetrics>();
        metrics.MessageAccepted();
        metrics.Delivered(DeliveryPath.Handover, 2);
        metrics.Delivered(DeliveryPath.Queue, 1);
        metrics.PollAnswered(PollOutcome.Empty);
        metrics.FanOutRound(TimeSpan.FromMilliseconds(40));
        ChatTracing.StartFanOut("otlp-room", default, 1)!.Dispose();
        host.Services.GetRequiredService<ILogger<TelemetryRegistrationTests>>().LogWarning("Telemetry check {Marker}", marker);
        await Assert.ThrowsAnyAsync<Exception>(() => host.Services.GetRequiredService<QueueServiceClient>().GetQueueClient("otlp-check").GetPropertiesAsync());

        // Two metric exports well inside the SDK's default 60 s interval: OTEL_METRIC_EXPORT_INTERVAL is honoured.
        await WaitUntilAsync(() => MetricExports(collector).Count(HasAllChatMetrics) >= 2
            && collector.ExportsTo(FakeOtlpCollector.TracesPath).Any(t => Contains(t, ChatTracing.FanOutActivityName))
            && collector.ExportsTo(FakeOtlpCollector.LogsPath).Any(l => Contains(l, marker)), TimeSpan.FromSeconds(20));
        await host.StopAsync();

        var exports = MetricExports(collector).Where(HasAllChatMetrics).ToList();
        foreach (var export in exports.Take(2))
        {
            var accepted = export.Single(m => m.Name == ChatMetrics.MessagesAcceptedName);
            Assert.Equal((ChatMetrics.MeterName, "sum", "{message}", Otlp.CumulativeTemporality), (accepted.Scope, accepted.Kind, accepted.Unit, accepted.Temporality));
            Assert.Equal(1, Assert.Single(accepted.Points).Value); // cumulative: still 1 in the second export, not 0
            var deliveries = export.Single(m => m.Name == ChatMetrics.DeliveriesName);
            Assert.Equal(2, deliveries.Points.Single(p => p.Attributes["path"] == "handover").Value);
            Assert.Equal(1, deliveries.Points.Single(p => p.Attributes["path"] == "queue").Value);
            Assert.Equal(1, export.Single(m => m.Name == ChatMetrics.PollsName).Points.Single(p => p.Attributes["outcome"] == "empty").Value);
            var duration = export.Single(m => m.Name == ChatMetrics.FanOutDurationName);
            Assert.Equal(("histogram", "s", Otlp.CumulativeTemporality), (duration.Kind, duration.Unit, duration.Temporality));
            Assert.Equal((0.04, 1UL), (Math.Round(Assert.Single(duration.Points).Value, 6), duration.Points[0].Count));
            var storage = export.Single(m => m.Name == ChatMetrics.StorageOperationsName);
            Assert.Equal(ChatMetrics.StorageMeterName, storage.Scope);
            Assert.True(storage.Points.Single(p => p.Attributes["service"] == "queue").Value >= 1);
        }
        Assert.Equal(exports[0].Single(m => m.Name == ChatMetrics.MessagesAcceptedName).Points[0].StartTimeUnixNano,
            exports[1].Single(m => m.Name == ChatMetrics.MessagesAcceptedName).Points[0].StartTimeUnixNano);
    }

    private static List<IReadOnlyList<Otlp.Metric>> MetricExports(FakeOtlpCollector collector) =>
        collector.ExportsTo(FakeOtlpCollector.MetricsPath).Select(Otlp.Metrics).ToList();

    private static bool HasAllChatMetrics(IReadOnlyList<Otlp.Metric> export) =>
        new[] { ChatMetrics.MessagesAcceptedName, ChatMetrics.DeliveriesName, ChatMetrics.PollsName, ChatMetrics.FanOutDurationName, ChatMetrics.StorageOperationsName }
            .All(name => export.Any(m => m.Name == name));

    private static bool Contains(byte[] message, string text) => message.AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;

    private static IServiceCollection Register(Dictionary<string, string?> settings)
    {
        var services = new ServiceCollection();
        services.AddChatTelemetry(Configuration(settings));
        return services;
    }

    /// <summary>The providers are registered and the host is told the worker sends its own telemetry (built, never started).</summary>
    private static void AssertTelemetryProviders(IServiceCollection services)
    {
        Assert.Contains(services, d => d.ServiceType == typeof(MeterProvider));
        Assert.Contains(services, d => d.ServiceType == typeof(TracerProvider));
        using var provider = services.BuildServiceProvider();
        Assert.Equal(bool.TrueString, provider.GetRequiredService<IOptions<WorkerOptions>>().Value.Capabilities[WorkerOpenTelemetryCapability]);
    }

    private static AzureMonitorExporterOptions AzureMonitorOptions(IServiceCollection services)
    {
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build());
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptionsMonitor<AzureMonitorExporterOptions>>().Get(Options.DefaultName);
    }

    /// <summary>True when any registration's service, implementation or factory comes from <paramref name="assembly"/>.</summary>
    private static bool Mentions(IServiceCollection services, Assembly assembly) => services.Any(d =>
    {
        var types = new[]
        {
            d.ServiceType,
            d.IsKeyedService ? d.KeyedImplementationType : d.ImplementationType,
            (d.IsKeyedService ? d.KeyedImplementationInstance : d.ImplementationInstance)?.GetType(),
            (d.IsKeyedService ? d.KeyedImplementationFactory?.Method : d.ImplementationFactory?.Method)?.DeclaringType,
        };
        return types.OfType<Type>().SelectMany(t => t.GenericTypeArguments.Prepend(t)).Any(t => t.Assembly == assembly);
    });

    private static IConfiguration Configuration(Dictionary<string, string?> settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build();

    private static int ClosedLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(condition(), "the collector did not receive every expected export in time");
    }
}
