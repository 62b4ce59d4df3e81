using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Azure.Core;
using FunctionsChat.DeployTests.Support;
using FunctionsChat.Telemetry;
using Microsoft.Extensions.Configuration;

namespace FunctionsChat.DeployTests;

/// <summary>
/// In Azure the host and the worker both send OpenTelemetry to the Application Insights the template creates, as the
/// app's user-assigned identity: the settings Bicep gives the app are the ones the worker's telemetry reads.
/// </summary>
[Collection(DeploymentCollection.Name)]
public sealed partial class TelemetrySettingsTests(CompiledTemplate template, FakeManagedIdentity identity)
{
    /// <summary>The scope the Azure Monitor exporter asks a token for (its default audience).</summary>
    private const string MonitorScope = "https://monitor.azure.com//.default";

    [Fact]
    public void Host_json_puts_the_host_in_OpenTelemetry_mode_at_its_root_so_host_and_worker_agree()
    {
        var host = JsonNode.Parse(Repo.Read("host.json"), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;

        Assert.Equal("OpenTelemetry", ArmScope.Str(host["telemetryMode"]), StringComparer.OrdinalIgnoreCase);
    }

    [Fact]
    public void The_app_gets_the_Application_Insights_connection_string_and_an_authentication_string_the_worker_understands()
    {
        var (scope, settings) = template.AppSettings;
        var clientId = Guid.NewGuid().ToString();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TelemetryExporters.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000000",
            [TelemetryExporters.AuthenticationStringSetting] = WithClientId(settings[TelemetryExporters.AuthenticationStringSetting], clientId),
        }).Build();

        var exporters = TelemetryExporters.From(configuration);

        Assert.True(ArmScope.IsModuleOutput(scope.Trace(settings[TelemetryExporters.ConnectionStringSetting]).Value, "monitoring", "connectionString"));
        Assert.Equal(new AzureMonitorExport("InstrumentationKey=00000000-0000-0000-0000-000000000000", UsesManagedIdentity: true, clientId), exporters.AzureMonitor);
        Assert.False(exporters.Otlp);
    }

    [Fact]
    public async Task The_worker_asks_for_its_Azure_Monitor_token_as_the_identity_that_Bicep_names()
    {
        var (_, settings) = template.AppSettings;
        var clientId = Guid.NewGuid().ToString();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [TelemetryExporters.ConnectionStringSetting] = "InstrumentationKey=00000000-0000-0000-0000-000000000000",
            [TelemetryExporters.AuthenticationStringSetting] = WithClientId(settings[TelemetryExporters.AuthenticationStringSetting], clientId),
        }).Build();
        var credential = TelemetryExporters.From(configuration).AzureMonitor!.CreateCredential()!;

        var token = await credential.GetTokenAsync(new TokenRequestContext([MonitorScope]), CancellationToken.None);

        Assert.Equal(FakeManagedIdentity.IssuedToken, token.Token);
        Assert.Contains(identity.Requests, r => r.ClientId == clientId && r.Resource.StartsWith("https://monitor.azure.com", StringComparison.Ordinal));
    }

    [Fact]
    public void The_app_identity_may_publish_telemetry_to_exactly_the_Application_Insights_component()
    {
        var monitoring = template.Main.Module("monitoring");
        var publisher = monitoring.Resources.Single(r => ArmScope.Str(r["type"]) == "Microsoft.Authorization/roleAssignments");

        Assert.Equal("[resourceId('Microsoft.Insights/components', parameters('applicationInsightsName'))]", ArmScope.Str(publisher["scope"]));
        Assert.True(ArmScope.IsModuleOutput(monitoring.Trace(publisher["properties"]!["principalId"]).Value, "identity", "principalId"));
    }

    /// <summary>Evaluates the template's <c>format('...{0}...', parameters('identityClientId'))</c> for one client id.</summary>
    private static string WithClientId(JsonNode? expression, string clientId)
    {
        var match = FormatWithClientId().Match(ArmScope.Str(expression) ?? "");
        Assert.True(match.Success, $"expected a format() of identityClientId, found {expression}");
        return match.Groups["format"].Value.Replace("{0}", clientId, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^\[format\('(?<format>[^']*)', parameters\('identityClientId'\)\)\]$")]
    private static partial Regex FormatWithClientId();
}
