using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using FunctionsChat.DeployTests.Support;
using Microsoft.Extensions.Configuration;

namespace FunctionsChat.DeployTests;

/// <summary>The function app's settings in Bicep are the names the code reads, with defaults and bounds that match the code.</summary>
[Collection(DeploymentCollection.Name)]
public sealed class AppSettingsTests(CompiledTemplate template)
{
    private IReadOnlyList<string> Names => template.AppSettings.Settings.Select(p => p.Key).ToList();

    [Fact]
    public void Every_app_setting_in_Bicep_is_one_that_the_chat_code_or_the_Functions_host_reads()
    {
        var known = SettingNames.StorageIdentity.Concat(SettingNames.HostTelemetry).ToHashSet();

        var unknown = Names.Where(n => !SettingNames.IsChat(n) && !known.Contains(n)).ToList();

        Assert.True(unknown.Count == 0, $"Settings no code reads (renamed in code?): {string.Join(", ", unknown)}");
    }

    [Fact]
    public void Bicep_sets_the_signing_keys_locale_member_timeout_and_the_limits_on_sending_and_joining()
    {
        // nameof: renaming a ChatOptions property breaks this line at compile time.
        string[] needed =
        [
            nameof(ChatOptions.SigningKey),
            nameof(ChatOptions.PreviousSigningKeys) + "__0",
            nameof(ChatOptions.NameLocale),
            nameof(ChatOptions.MemberTimeoutSeconds),
            nameof(ChatOptions.SendLimitPer10Seconds),
            nameof(ChatOptions.JoinLimitPerMinute),
            nameof(ChatOptions.MaxMembersPerRoom),
        ];

        Assert.All(needed, property => Assert.Contains(SettingNames.ChatSetting(property), Names));
    }

    [Fact]
    public void Bicep_sets_no_app_setting_that_Flex_Consumption_rejects_or_that_needs_shared_keys()
    {
        var forbidden = Names.Where(SettingNames.ForbiddenOnFlex.Contains).ToList();

        Assert.True(forbidden.Count == 0, $"Not allowed on Flex Consumption with keys off: {string.Join(", ", forbidden)}");
    }

    [Fact]
    public void Host_storage_goes_through_the_user_assigned_identity_to_the_chat_account()
    {
        var (scope, settings) = template.AppSettings;
        string Setting(string suffix) => $"AzureWebJobsStorage__{suffix}";

        Assert.Equal("managedidentity", ArmScope.Str(settings[Setting("credential")]));
        Assert.True(ArmScope.IsModuleOutput(scope.Trace(settings[Setting("clientId")]).Value, "identity", "clientId"));
        Assert.True(ArmScope.IsModuleOutput(scope.Trace(settings[Setting("accountName")]).Value, "storage", "name"));
        Assert.True(ArmScope.IsModuleOutput(scope.Trace(settings[Setting("tableServiceUri")]).Value, "storage", "tableEndpoint"));
        Assert.True(ArmScope.IsModuleOutput(scope.Trace(settings[Setting("queueServiceUri")]).Value, "storage", "queueEndpoint"));
    }

    [Fact]
    public void Chat_setting_defaults_and_bounds_in_Bicep_equal_those_of_ChatOptions()
    {
        var (scope, settings) = template.AppSettings;
        var defaults = new ChatOptions();
        var checkedAny = false;

        foreach (var (name, value) in settings.Where(s => s.Key.StartsWith(ChatOptions.SectionName + "__", StringComparison.Ordinal)))
        {
            var property = SettingNames.ChatProperty(name)!;
            if (property.Name is nameof(ChatOptions.SigningKey) or nameof(ChatOptions.PreviousSigningKeys))
            {
                continue; // secrets: no default on either side (an empty previous key means none)
            }
            var traced = scope.Trace(value);
            Assert.True(traced.MainParameter is not null, $"{name} should come from a main.bicep parameter");
            var definition = template.Main.ParameterDefinition(traced.MainParameter!);

            Assert.Equal(Convert.ToString(property.GetValue(defaults), CultureInfo.InvariantCulture), JsonText(traced.Value));
            if (property.GetCustomAttribute<RangeAttribute>() is { } range)
            {
                Assert.Equal(Convert.ToInt64(range.Minimum, CultureInfo.InvariantCulture), definition["minValue"]!.GetValue<long>());
                Assert.Equal(Convert.ToInt64(range.Maximum, CultureInfo.InvariantCulture), definition["maxValue"]!.GetValue<long>());
            }
            checkedAny = true;
        }

        Assert.True(checkedAny);
    }

    [Fact]
    public void The_Bicep_chat_settings_with_their_defaults_bind_to_valid_ChatOptions()
    {
        var (scope, settings) = template.AppSettings;
        var values = settings
            .Where(s => s.Key.StartsWith(ChatOptions.SectionName + "__", StringComparison.Ordinal))
            .Select(s => KeyValuePair.Create(s.Key, s.Key == SettingNames.ChatSetting(nameof(ChatOptions.SigningKey))
                ? new string('k', 64) // stands in for the secure parameter
                : JsonText(scope.Trace(s.Value).Value)));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(SettingNames.AsConfiguration(values)).Build();

        var options = configuration.GetSection(ChatOptions.SectionName).Get<ChatOptions>(o => o.ErrorOnUnknownConfiguration = true)!;

        var errors = new List<ValidationResult>();
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true),
            string.Join("; ", errors.Select(e => e.ErrorMessage)));
        Assert.Equal(new string('k', 64), options.SigningKey);
    }

    private static string? JsonText(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };
}
