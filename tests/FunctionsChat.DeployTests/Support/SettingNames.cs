using System.Collections;
using System.Reflection;
using System.Text.RegularExpressions;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Telemetry;

namespace FunctionsChat.DeployTests.Support;

/// <summary>
/// The setting names the app reads, taken from the app's own types wherever the code exposes them, so that a rename in
/// Functions/ changes these sets and the tests that compare Bicep and local.settings.sample.json against them fail.
/// </summary>
public static partial class SettingNames
{
    public static string ChatSetting(string property) => $"{ChatOptions.SectionName}__{property}";

    /// <summary>
    /// The ChatOptions property a Chat__ setting binds to: Chat__Name for a value, Chat__Name__0, __1, ... for the
    /// entries of a list. Null for anything else.
    /// </summary>
    public static PropertyInfo? ChatProperty(string setting)
    {
        var match = ChatSettingName().Match(setting);
        if (!match.Success)
        {
            return null;
        }
        var property = typeof(ChatOptions).GetProperty(match.Groups["property"].Value, BindingFlags.Public | BindingFlags.Instance);
        if (property is null || !property.CanWrite || !property.SetMethod!.IsPublic)
        {
            return null;
        }
        var isList = property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(property.PropertyType);
        return isList == match.Groups["index"].Success ? property : null;
    }

    public static bool IsChat(string setting) => ChatProperty(setting) is not null;

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

    [GeneratedRegex("^" + ChatOptions.SectionName + @"__(?<property>[A-Za-z0-9]+)(__(?<index>[0-9]+))?$")]
    private static partial Regex ChatSettingName();
}
