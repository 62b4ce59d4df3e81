using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FunctionsChat.DeployTests.Support;

namespace FunctionsChat.DeployTests;

/// <summary>azure.yaml, infra/main.parameters.json and the GitHub workflows agree with the template and the repository.</summary>
[Collection(DeploymentCollection.Name)]
public sealed class AzdAndWorkflowTests(CompiledTemplate template)
{
    [Fact]
    public void Azure_yaml_deploys_Functions_as_a_dotnet_function_service_and_provisions_infra_main()
    {
        var azure = Yaml.Load(Repo.PathOf("azure.yaml"));

        Assert.Equal("./Functions", Yaml.Text(azure, "services", "api", "project"));
        Assert.Equal("dotnet", Yaml.Text(azure, "services", "api", "language"));
        Assert.Equal("function", Yaml.Text(azure, "services", "api", "host"));
        Assert.True(File.Exists(Repo.PathOf("Functions", "Functions.csproj")));
        Assert.Equal("bicep", Yaml.Text(azure, "infra", "provider"));
        Assert.Equal("infra", Yaml.Text(azure, "infra", "path"));
        Assert.Equal("main", Yaml.Text(azure, "infra", "module"));
    }

    [Theory]
    [InlineData("preprovision", "infra/scripts/ensure-signing-key.sh")]
    [InlineData("postdeploy", "infra/scripts/publish-site.sh")]
    public void Azure_yaml_hooks_run_the_repository_scripts_with_bash(string hook, string script)
    {
        var azure = Yaml.Load(Repo.PathOf("azure.yaml"));

        var run = Yaml.Text(azure, "hooks", hook, "posix", "run");

        Assert.Equal($"bash ./{script}", run);
        Assert.True(File.Exists(Repo.PathOf(script)));
        Assert.StartsWith("#!/usr/bin/env bash", Repo.Read(script));
    }

    [Fact]
    public void The_parameters_file_covers_every_required_parameter_with_azd_environment_placeholders()
    {
        var file = JsonNode.Parse(Repo.Read("infra", "main.parameters.json"))!["parameters"]!.AsObject();
        var declared = template.Json["parameters"]!.AsObject();

        Assert.All(file.Select(p => p.Key), name => Assert.True(declared.ContainsKey(name), $"{name} is not a parameter of main.bicep"));
        var required = declared.Where(p => p.Value!["defaultValue"] is null).Select(p => p.Key);
        Assert.All(required, name => Assert.True(file.ContainsKey(name), $"required parameter {name} is not in main.parameters.json"));
        // Values are ${NAME} placeholders that azd fills from the environment; a literal here would be a secret in git.
        Assert.All(file, p => Assert.Matches(@"^\$\{[A-Z][A-Z0-9_]*\}$", ArmScope.Str(p.Value!["value"])));
        Assert.Equal("${CHAT_SIGNING_KEY}", ArmScope.Str(file["chatSigningKey"]!["value"]));
        Assert.Equal("${CHAT_PREVIOUS_SIGNING_KEY}", ArmScope.Str(file["chatPreviousSigningKey"]!["value"]));
    }

    [Fact]
    public void The_build_and_test_workflow_runs_ci_run_with_dotnet_10_and_node_20()
    {
        var workflow = Yaml.Load(Repo.PathOf(".github", "workflows", "build-and-test.yml"));
        var steps = Steps(workflow);

        Assert.Contains(steps, s => Uses(s).StartsWith("actions/checkout@", StringComparison.Ordinal));
        var dotnet = Assert.Single(steps, s => Uses(s).StartsWith("actions/setup-dotnet@", StringComparison.Ordinal));
        Assert.StartsWith("10.", Yaml.Text(dotnet, "with", "dotnet-version"));
        var node = Assert.Single(steps, s => Uses(s).StartsWith("actions/setup-node@", StringComparison.Ordinal));
        Assert.Equal("20", Yaml.Text(node, "with", "node-version"));
        Assert.Contains(steps, s => Yaml.Has(s, "run") && Yaml.Text(s, "run").Trim() == "bash .ci/run");
    }

    [Fact]
    public void The_azure_dev_workflow_signs_in_with_federated_credentials_then_provisions_and_deploys()
    {
        var workflow = Yaml.Load(Repo.PathOf(".github", "workflows", "azure-dev.yml"));
        var steps = Steps(workflow);
        var runs = steps.Where(s => Yaml.Has(s, "run")).Select(s => Regex.Replace(Yaml.Text(s, "run"), @"\s*\\\n\s*", " ")).ToList();

        Assert.Equal("write", Yaml.Text(workflow, "permissions", "id-token"));
        var login = Assert.Single(runs, r => r.Contains("azd auth login", StringComparison.Ordinal));
        Assert.Contains("--federated-credential-provider github", login);
        Assert.Contains("--client-id", login);
        Assert.Contains("--tenant-id", login);
        Assert.Contains(runs, r => r.Contains("azd provision --no-prompt", StringComparison.Ordinal));
        Assert.Contains(runs, r => r.Contains("azd deploy --no-prompt", StringComparison.Ordinal));
        // The signing key comes from a repository secret, never from the workflow file.
        Assert.Contains(Yaml.Scalars(workflow), v => v.Contains("secrets.CHAT_SIGNING_KEY", StringComparison.Ordinal));
        Assert.Contains(Yaml.Scalars(workflow), v => v.Contains("secrets.CHAT_PREVIOUS_SIGNING_KEY", StringComparison.Ordinal));
        Assert.DoesNotContain(Yaml.Scalars(workflow), v => v.Contains("client-secret", StringComparison.OrdinalIgnoreCase));
    }

    private static List<YamlDotNet.RepresentationModel.YamlMappingNode> Steps(YamlDotNet.RepresentationModel.YamlMappingNode workflow) =>
        Yaml.Map(workflow, "jobs").Children.Values
            .SelectMany(job => ((YamlDotNet.RepresentationModel.YamlSequenceNode)Yaml.At(job, "steps")).Children)
            .Cast<YamlDotNet.RepresentationModel.YamlMappingNode>()
            .ToList();

    private static string Uses(YamlDotNet.RepresentationModel.YamlNode step) => Yaml.Has(step, "uses") ? Yaml.Text(step, "uses") : "";
}
