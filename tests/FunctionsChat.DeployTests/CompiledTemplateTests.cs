using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FunctionsChat.DeployTests.Support;

namespace FunctionsChat.DeployTests;

/// <summary>What main.bicep compiles to: the plan, runtime, identity, roles, CORS and secrets the app depends on.</summary>
[Collection(DeploymentCollection.Name)]
public sealed class CompiledTemplateTests(CompiledTemplate template)
{
    private static readonly string[] ChatStorageRoles =
    [
        "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3", // Storage Table Data Contributor
        "974c5e8b-45b9-4653-ba55-5f855dd0fb88", // Storage Queue Data Contributor
        "b7e6dc6d-f1e8-4753-8033-0f276bb0955b", // Storage Blob Data Owner
    ];

    private const string MonitoringMetricsPublisher = "3913510d-42f4-4e42-8a64-420c390055eb";
    private const string StorageBlobDataContributor = "ba92f5b4-2d11-453d-a403-e96b0029c9fe";

    [Fact]
    public void The_plan_is_Flex_Consumption_FC1_on_Linux()
    {
        var (_, plan) = template.Single("Microsoft.Web/serverfarms");

        Assert.Equal("FC1", ArmScope.Str(plan["sku"]!["name"]));
        Assert.Equal("FlexConsumption", ArmScope.Str(plan["sku"]!["tier"]));
        Assert.True(plan["properties"]!["reserved"]!.GetValue<bool>(), "reserved: true makes the plan Linux");
    }

    [Fact]
    public void The_function_app_runs_the_dotnet_isolated_worker_version_10_on_Linux()
    {
        var (_, app) = template.FunctionApp;
        var runtime = app["properties"]!["functionAppConfig"]!["runtime"]!;

        Assert.Equal("functionapp,linux", ArmScope.Str(app["kind"]));
        Assert.Equal("dotnet-isolated", ArmScope.Str(runtime["name"]));
        Assert.Equal("10.0", ArmScope.Str(runtime["version"]));
        Assert.True(app["properties"]!["httpsOnly"]!.GetValue<bool>());
    }

    [Fact]
    public void The_deployment_package_goes_to_a_blob_container_of_the_chat_account_through_the_app_identity()
    {
        var (scope, app) = template.FunctionApp;
        var storage = app["properties"]!["functionAppConfig"]!["deployment"]!["storage"]!;
        var identities = app["identity"]!["userAssignedIdentities"]!.AsObject().Select(p => p.Key).ToList();

        Assert.Equal("blobContainer", ArmScope.Str(storage["type"]));
        Assert.True(ArmScope.IsModuleOutput(scope.Trace(storage["value"]).Value, "storage", "deploymentContainerUrl"));
        Assert.Equal("UserAssignedIdentity", ArmScope.Str(storage["authentication"]!["type"]));
        var deployIdentity = storage["authentication"]!["userAssignedIdentityResourceId"];
        Assert.True(ArmScope.IsModuleOutput(scope.Trace(deployIdentity).Value, "identity", "id"));
        Assert.Equal("UserAssigned", ArmScope.Str(app["identity"]!["type"]));
        Assert.True(ArmScope.IsModuleOutput(scope.Trace(JsonValue.Create(Regex.Replace(Assert.Single(identities), @"^\[format\('\{0\}', (.*)\)\]$", "[$1]"))).Value, "identity", "id"));
    }

    [Fact]
    public void Http_per_instance_concurrency_is_far_above_the_platform_default_because_long_polls_mostly_wait()
    {
        var (scope, app) = template.FunctionApp;
        var scale = app["properties"]!["functionAppConfig"]!["scaleAndConcurrency"]!;

        var concurrency = scope.Trace(scale["triggers"]!["http"]!["perInstanceConcurrency"]);
        Assert.Equal("httpPerInstanceConcurrency", concurrency.MainParameter);
        var value = concurrency.Value!.GetValue<int>();
        // The platform default for a 2,048 MB instance is 16; a waiting long poll costs almost nothing, so go much higher.
        Assert.InRange(value, 100, 1000);
        Assert.Equal(1000, template.Main.ParameterDefinition("httpPerInstanceConcurrency")["maxValue"]!.GetValue<int>());

        var memory = scope.Trace(scale["instanceMemoryMB"]);
        Assert.Equal(2048, memory.Value!.GetValue<int>());
        var allowed = template.Main.ParameterDefinition("instanceMemoryMB")["allowedValues"]!.AsArray().Select(v => v!.GetValue<int>());
        Assert.Subset(new HashSet<int> { 512, 2048, 4096 }, allowed.ToHashSet());
        Assert.Equal("maximumInstanceCount", scope.Trace(scale["maximumInstanceCount"]).MainParameter);
    }

    [Fact]
    public void Every_storage_account_has_shared_key_access_and_public_blob_access_off()
    {
        var accounts = template.Main.ResourcesOfType("Microsoft.Storage/storageAccounts").ToList();

        Assert.Equal(2, accounts.Count); // the chat's data account and the static site's account
        foreach (var (_, account) in accounts)
        {
            var properties = account["properties"]!;
            Assert.False(properties["allowSharedKeyAccess"]!.GetValue<bool>());
            Assert.False(properties["allowBlobPublicAccess"]!.GetValue<bool>());
            Assert.Equal("TLS1_2", ArmScope.Str(properties["minimumTlsVersion"]));
            Assert.True(properties["supportsHttpsTrafficOnly"]!.GetValue<bool>());
        }
    }

    [Fact]
    public void The_app_identity_gets_table_and_queue_data_contributor_and_blob_data_owner_on_the_chat_account()
    {
        var storage = template.Main.Module("storage");
        var assignments = storage.Resources.Where(r => ArmScope.Str(r["type"]) == "Microsoft.Authorization/roleAssignments").ToList();

        var granted = assignments.SelectMany(a => RoleAssignments.RoleIds(storage, a)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        Assert.Equal(ChatStorageRoles.ToHashSet(StringComparer.OrdinalIgnoreCase), granted);
        foreach (var assignment in assignments)
        {
            Assert.True(ArmScope.IsModuleOutput(storage.Trace(assignment["properties"]!["principalId"]).Value, "identity", "principalId"));
            Assert.Equal("ServicePrincipal", ArmScope.Str(assignment["properties"]!["principalType"]));
            Assert.Contains("Microsoft.Storage/storageAccounts", ArmScope.Str(assignment["scope"]));
        }
    }

    [Fact]
    public void Every_role_assignment_is_named_with_a_guid_of_scope_principal_and_role()
    {
        var assignments = template.Main.ResourcesOfType("Microsoft.Authorization/roleAssignments").ToList();

        // storage (one resource, a loop over three roles), monitoring and website
        Assert.True(assignments.Count >= 3, $"expected role assignments in the storage, monitoring and website modules, found {assignments.Count}");
        Assert.All(assignments, a => Assert.Matches(@"^\[guid\(.+, .+, .+\)\]$", ArmScope.Str(a.Resource["name"])));
    }

    [Fact]
    public void Telemetry_goes_to_workspace_based_Application_Insights_with_the_app_identity_and_no_keys()
    {
        var monitoring = template.Main.Module("monitoring");
        var component = monitoring.Resources.Single(r => ArmScope.Str(r["type"]) == "Microsoft.Insights/components");
        var publisher = monitoring.Resources.Single(r => ArmScope.Str(r["type"]) == "Microsoft.Authorization/roleAssignments");
        var (settingsScope, settings) = template.AppSettings;

        Assert.True(component["properties"]!["DisableLocalAuth"]!.GetValue<bool>());
        Assert.Contains("Microsoft.OperationalInsights/workspaces", ArmScope.Str(component["properties"]!["WorkspaceResourceId"]));
        Assert.Equal([MonitoringMetricsPublisher], RoleAssignments.RoleIds(monitoring, publisher));
        Assert.True(ArmScope.IsModuleOutput(monitoring.Trace(publisher["properties"]!["principalId"]).Value, "identity", "principalId"));

        Assert.True(ArmScope.IsModuleOutput(settingsScope.Trace(settings["APPLICATIONINSIGHTS_CONNECTION_STRING"]).Value, "monitoring", "connectionString"));
        Assert.Equal("[format('ClientId={0};Authorization=AAD', parameters('identityClientId'))]",
            ArmScope.Str(settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]));
        Assert.True(ArmScope.IsModuleOutput(settingsScope.Trace(JsonValue.Create("[parameters('identityClientId')]")).Value, "identity", "clientId"));
    }

    [Fact]
    public void Cors_allows_exactly_the_static_website_origin_without_credentials()
    {
        var (scope, app) = template.FunctionApp;
        var cors = app["properties"]!["siteConfig"]!["cors"]!;
        var website = template.Main.Module("website");

        var origin = Assert.Single(cors["allowedOrigins"]!.AsArray());
        Assert.True(ArmScope.IsModuleOutput(scope.Trace(origin).Value, "website", "origin"));
        Assert.False(cors["supportCredentials"]!.GetValue<bool>());
        // The origin output is scheme + host of the account's web endpoint: what a browser sends as Origin.
        var originOutput = ArmScope.Str(website.Template["outputs"]!["origin"]!["value"]);
        Assert.Equal("[format('https://{0}', split(reference('account').primaryEndpoints.web, '/')[2])]", originOutput);
    }

    [Fact]
    public void The_static_website_is_switched_on_with_index_html_and_the_deployer_may_upload_to_it()
    {
        var website = template.Main.Module("website");
        var blobs = website.Resources.Single(r => ArmScope.Str(r["type"]) == "Microsoft.Storage/storageAccounts/blobServices");
        var uploader = website.Resources.Single(r => ArmScope.Str(r["type"]) == "Microsoft.Authorization/roleAssignments");

        var staticWebsite = blobs["properties"]!["staticWebsite"]!;
        Assert.True(staticWebsite["enabled"]!.GetValue<bool>());
        Assert.Equal("index.html", ArmScope.Str(staticWebsite["indexDocument"]));
        Assert.Equal([StorageBlobDataContributor], RoleAssignments.RoleIds(website, uploader));
        Assert.Equal("principalId", website.Trace(uploader["properties"]!["principalId"]).MainParameter);
    }

    [Fact]
    public void The_signing_key_is_a_secure_parameter_without_default_that_reaches_only_Chat__SigningKey()
    {
        var parameter = template.Main.ParameterDefinition("chatSigningKey");
        var (scope, settings) = template.AppSettings;

        Assert.Equal("securestring", ArmScope.Str(parameter["type"]));
        Assert.Null(parameter["defaultValue"]);
        Assert.Equal("chatSigningKey", scope.Trace(settings[SettingNames.ChatSetting(nameof(ChatOptions.SigningKey))]).MainParameter);
        Assert.Equal("securestring", ArmScope.Str(scope.ParameterDefinition("chatSigningKey")["type"]));
        Assert.DoesNotContain("chatSigningKey", template.Json["outputs"]!.ToJsonString());
        foreach (var module in template.Main.Modules)
        {
            Assert.DoesNotContain("chatSigningKey", (module.Template["outputs"] ?? new JsonObject()).ToJsonString());
        }
    }

    [Fact]
    public void The_previous_signing_key_is_a_secure_parameter_empty_by_default_that_reaches_only_its_app_setting()
    {
        var parameter = template.Main.ParameterDefinition("chatPreviousSigningKey");
        var (scope, settings) = template.AppSettings;
        var setting = SettingNames.ChatSetting(nameof(ChatOptions.PreviousSigningKeys) + "__0");

        Assert.Equal("securestring", ArmScope.Str(parameter["type"]));
        Assert.Equal("", ArmScope.Str(parameter["defaultValue"]));
        var traced = scope.Trace(settings[setting]);
        Assert.Equal("chatPreviousSigningKey", traced.MainParameter);
        Assert.Equal("securestring", ArmScope.Str(scope.ParameterDefinition("chatPreviousSigningKey")["type"]));
        Assert.Single(settings, s => scope.Trace(s.Value).MainParameter == "chatPreviousSigningKey");
        Assert.DoesNotContain("chatPreviousSigningKey", template.Json["outputs"]!.ToJsonString());
        foreach (var module in template.Main.Modules)
        {
            Assert.DoesNotContain("chatPreviousSigningKey", (module.Template["outputs"] ?? new JsonObject()).ToJsonString());
        }
    }

    [Fact]
    public void Resource_names_come_from_a_resource_token_of_subscription_environment_and_location()
    {
        var variables = template.Json["variables"]!.AsObject();
        Assert.Equal("[toLower(uniqueString(subscription().id, parameters('environmentName'), parameters('location')))]",
            ArmScope.Str(variables["resourceToken"]));

        foreach (var module in template.Main.Modules)
        {
            var names = module.Deployment!["properties"]!["parameters"]!.AsObject()
                .Where(p => p.Key == "name" || p.Key.EndsWith("Name", StringComparison.Ordinal) && p.Key != "storageAccountName");
            foreach (var (key, value) in names)
            {
                var expression = ArmScope.Str(value!["value"]) ?? "";
                // Inline main.bicep variables one level (functionAppName is itself built from resourceToken).
                var inlined = Regex.Replace(expression, @"variables\('(?!resourceToken')(\w+)'\)", m => ArmScope.Str(variables[m.Groups[1].Value]) ?? m.Value);
                Assert.True(inlined.Contains("variables('resourceToken')", StringComparison.Ordinal),
                    $"module {module.Name} parameter {key} = {expression} is not derived from resourceToken");
            }
        }
    }

    [Fact]
    public void Outputs_are_UPPER_SNAKE_and_include_what_azd_and_the_site_hook_read()
    {
        var outputs = template.Json["outputs"]!.AsObject();

        Assert.All(outputs.Select(o => o.Key), name => Assert.Matches("^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$", name));
        foreach (var needed in new[] { "API_BASE_URL", "STATIC_SITE_STORAGE_ACCOUNT", "STATIC_SITE_URL", "AZURE_FUNCTION_APP_NAME", "AZURE_RESOURCE_GROUP", "AZURE_LOCATION", "AZURE_TENANT_ID" })
        {
            Assert.True(outputs.ContainsKey(needed), $"missing output {needed}");
        }
        Assert.True(ArmScope.IsModuleOutput(outputs["STATIC_SITE_STORAGE_ACCOUNT"]!["value"], "website", "name"));
    }

    [Fact]
    public void The_api_base_url_output_ends_with_the_route_prefix_of_host_json()
    {
        var hostJson = JsonNode.Parse(Repo.Read("host.json"), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;
        var prefix = ArmScope.Str(hostJson["extensions"]?["http"]?["routePrefix"]) ?? "api"; // "api" is the host's default

        var url = ArmScope.Str(template.Json["outputs"]!["API_BASE_URL"]!["value"])!;

        Assert.StartsWith($"[format('https://{{0}}/{prefix}', reference(", url);
        Assert.EndsWith(".outputs.defaultHostName.value)]", url);
        Assert.Contains("'Microsoft.Resources/deployments', 'api')", url);
    }

    [Fact]
    public void The_function_app_carries_the_azd_service_tag_of_the_api_service_in_azure_yaml()
    {
        var (_, app) = template.FunctionApp;
        var azure = Yaml.Load(Repo.PathOf("azure.yaml"));
        var serviceNames = Yaml.Map(azure, "services").Children.Keys.Select(k => k.ToString()).ToList();

        var service = Assert.Single(serviceNames);
        Assert.Contains($"'azd-service-name', '{service}'", ArmScope.Str(app["tags"]));
    }
}
