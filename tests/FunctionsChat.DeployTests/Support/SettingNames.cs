using System.Reflection;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Telemetry;

namespace FunctionsChat.DeployTests.Support;

/// <summary>
/// The setting names the app reads, taken from the app's own types wherever the code exposes them, so that a rename in
/// Functions/ changes these sets and the tests that compare Bicep and local.settings.sample.json against them fail.
/// </summary>
public static class SettingNames
{
    /// <summary>Chat__Name for every settable property of ChatOptions (bound from the "Chat" section).</summary>
    public static IReadOnlySet<string> Chat { get; } = typeof(ChatOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance)
        .Where(p => p.CanWrite && p.SetMethod!.IsPublic)
        .Select(p => $"{ChatOptions.SectionName}__{p.Name}")
        .ToHashSet(StringComparer.Ordinal);

    public static string ChatSetting(string property) => $"{ChatOptions.SectionName}__{property}";

    /// <summary>The connection-string form: AzureWebJobsStorage itself.</summary>
    public static string StorageConnectionString => StorageClientFactory.SettingName;

    /// <summary>
    /// The identity-based forms (the Functions host's own convention, which StorageClientFactory follows). The
    /// StorageClientFactory tests prove that the factory reads each of these.
    /// </summary>
    public static IReadOnlySet<string> StorageIdentity { get; } = new[] { "accountName", "tableServiceUri", "queueServiceUri", "credential", "clientId" }
        .Select(suffix => $"{StorageClientFactory.SettingName}__{suffix}")
        .ToHashSet(StringComparer.Ordinal);

    /// <summary>Read by the Functions host, not by our code.</summary>
    public static IReadOnlySet<string> HostLocal { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "FUNCTIONS_WORKER_RUNTIME",
        "AZURE_FUNCTIONS_ENVIRONMENT",
        StorageClientFactory.SettingName,
    };

    /// <summary>Read by the host and by the worker's OpenTelemetry (TelemetryExporters) to send telemetry with the managed identity.</summary>
    public static IReadOnlySet<string> HostTelemetry { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        TelemetryExporters.ConnectionStringSetting,
        TelemetryExporters.AuthenticationStringSetting,
    };

    /// <summary>
    /// App settings Flex Consumption rejects or ignores (their job moved to functionAppConfig), plus the storage connection
    /// string, which cannot work on an account with shared keys off.
    /// </summary>
    public static IReadOnlySet<string> ForbiddenOnFlex { get; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "FUNCTIONS_WORKER_RUNTIME",
        "FUNCTIONS_WORKER_RUNTIME_VERSION",
        "FUNCTIONS_EXTENSION_VERSION",
        "WEBSITE_RUN_FROM_PACKAGE",
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING",
        "WEBSITE_CONTENTSHARE",
        "WEBSITE_NODE_DEFAULT_VERSION",
        "SCM_DO_BUILD_DURING_DEPLOYMENT",
        StorageClientFactory.SettingName,
    };

    /// <summary>Turns app-setting style names (Section__Key) into configuration keys (Section:Key), as the host does.</summary>
    public static Dictionary<string, string?> AsConfiguration(IEnumerable<KeyValuePair<string, string?>> settings) =>
        settings.ToDictionary(s => s.Key.Replace("__", ":", StringComparison.Ordinal), s => s.Value, StringComparer.OrdinalIgnoreCase);
}
