using Azure.Monitor.OpenTelemetry.Exporter;
using Microsoft.Azure.Functions.Worker.OpenTelemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FunctionsChat.Telemetry;

/// <summary>The worker's logs, traces and metrics through OpenTelemetry, to the exporters the settings name.</summary>
public static class ChatTelemetryServiceCollectionExtensions
{
    /// <summary>The isolated worker's own span around each invocation, a child of the host's.</summary>
    public const string FunctionsWorkerSourceName = "Microsoft.Azure.Functions.Worker";

    public static IServiceCollection AddChatTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var exporters = TelemetryExporters.From(configuration);
        if (!exporters.Any)
        {
            // No OpenTelemetry at all: the worker's logs keep going to the host over gRPC, as without this package.
            return services;
        }

        // UseFunctionsWorkerDefaults also tells the host that the worker exports its own logs, so it stops forwarding them.
        var telemetry = services.AddOpenTelemetry()
            .UseFunctionsWorkerDefaults()
            .WithTracing(tracing => tracing.AddSource(ChatTracing.SourceName, FunctionsWorkerSourceName))
            .WithMetrics(metrics => metrics.AddMeter(ChatMetrics.MeterName, ChatMetrics.StorageMeterName));

        if (exporters.AzureMonitor is { } azureMonitor)
        {
            telemetry.UseAzureMonitorExporter(options =>
            {
                options.ConnectionString = azureMonitor.ConnectionString;
                options.Credential = azureMonitor.CreateCredential();
            });
        }
        if (exporters.Otlp)
        {
            // Endpoint, protocol (grpc by default), headers, OTEL_METRIC_EXPORT_INTERVAL and the rest come from the
            // standard OTEL_* settings, read through IConfiguration (environment variables in the worker).
            telemetry.UseOtlpExporter();
        }
        return services;
    }
}
