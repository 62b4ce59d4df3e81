using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Configuration;

namespace FunctionsChat.Telemetry;

/// <summary>Application Insights as the settings name it: where to send, and with which identity.</summary>
/// <param name="ManagedIdentityClientId">The user-assigned identity to send as; null with <paramref name="UsesManagedIdentity"/> is the system-assigned one.</param>
public sealed record AzureMonitorExport(string ConnectionString, bool UsesManagedIdentity, string? ManagedIdentityClientId)
{
    /// <summary>Null when the connection string's instrumentation key is enough (local authentication on).</summary>
    public TokenCredential? CreateCredential() => !UsesManagedIdentity
        ? null
        : new ManagedIdentityCredential(ManagedIdentityClientId is null ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(ManagedIdentityClientId));
}

/// <summary>
/// Which exporters the worker's OpenTelemetry uses, read from the same app settings the Functions host reads:
/// Azure Monitor when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set, OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>
/// is set, both when both are, none when neither is.
/// </summary>
public sealed record TelemetryExporters(AzureMonitorExport? AzureMonitor, bool Otlp)
{
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public bool Any => AzureMonitor is not null || Otlp;

    public static TelemetryExporters From(IConfiguration configuration)
    {
        var connectionString = configuration[ConnectionStringSetting];
        var azureMonitor = string.IsNullOrWhiteSpace(connectionString)
            ? null
            : AzureMonitorFrom(connectionString, configuration[AuthenticationStringSetting]);
        return new TelemetryExporters(azureMonitor, !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]));
    }

    /// <summary>
    /// The authentication string is the host's format: <c>Authorization=AAD</c>, optionally with <c>ClientId=...</c> of a
    /// user-assigned identity, in any order. Anything else fails startup: with local authentication off, a misread
    /// string would lose all telemetry without a word.
    /// </summary>
    private static AzureMonitorExport AzureMonitorFrom(string connectionString, string? authentication)
    {
        if (string.IsNullOrWhiteSpace(authentication))
        {
            return new AzureMonitorExport(connectionString, UsesManagedIdentity: false, ManagedIdentityClientId: null);
        }
        var parts = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in authentication.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=');
            if (equals <= 0 || !parts.TryAdd(part[..equals].Trim(), part[(equals + 1)..].Trim()))
            {
                throw InvalidAuthentication();
            }
        }
        if (!parts.Remove("Authorization", out var authorization) || !authorization.Equals("AAD", StringComparison.OrdinalIgnoreCase))
        {
            throw InvalidAuthentication();
        }
        parts.Remove("ClientId", out var clientId);
        if (parts.Count > 0 || clientId is { Length: 0 })
        {
            throw InvalidAuthentication();
        }
        return new AzureMonitorExport(connectionString, UsesManagedIdentity: true, clientId);
    }

    private static InvalidOperationException InvalidAuthentication() => new(
        $"{AuthenticationStringSetting} must be 'Authorization=AAD' (system-assigned identity) or " +
        "'Authorization=AAD;ClientId=<client id of a user-assigned identity>'; leave it unset to send with the connection string's key.");
}
