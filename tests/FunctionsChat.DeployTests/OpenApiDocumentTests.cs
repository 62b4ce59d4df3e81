using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionsChat.DeployTests.Support;
using YamlDotNet.RepresentationModel;

namespace FunctionsChat.DeployTests;

/// <summary>
/// docs/openapi.yaml is the API's reference: it names exactly the routes the function app has (so it cannot drift from
/// the code), and Redocly's recommended rules find nothing in it. Prism checks it against the running app
/// (tests/FunctionsChat.ContractTests).
/// </summary>
public sealed class OpenApiDocumentTests
{
    private static readonly string[] OperationKeys = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    [Fact]
    public void The_documents_paths_and_methods_are_exactly_the_function_apps_HTTP_routes()
    {
        var routePrefix = ArmScope.Str(JsonNode.Parse(Repo.Read("host.json"))!["extensions"]?["http"]?["routePrefix"]) ?? "api";
        var document = Yaml.Load(Repo.PathOf("docs", "openapi.yaml"));

        var documented = DocumentedOperations(document).Order(StringComparer.Ordinal).ToList();
        var built = BuiltHttpRoutes().Select(r => $"{r.Method} /{r.Route}").Order(StringComparer.Ordinal).ToList();

        Assert.NotEmpty(built);
        Assert.Equal(built, documented);
        // The paths are relative to the servers, which must end where the host's route prefix puts every function.
        var servers = ((YamlSequenceNode)Yaml.At(document, "servers")).Children.Select(s => ServerUrl((YamlMappingNode)s)).ToList();
        Assert.NotEmpty(servers);
        Assert.All(servers, url => Assert.EndsWith("/" + routePrefix, new Uri(url).AbsolutePath.TrimEnd('/'), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Redoclys_recommended_rules_find_no_error_and_no_warning_in_the_document()
    {
        var result = await Run.ProcessAsync(
            Tool("redocly"),
            ["lint", "docs/openapi.yaml", "--extends=recommended", "--format=json"],
            TimeSpan.FromMinutes(2),
            environment: new Dictionary<string, string?> { ["REDOCLY_TELEMETRY"] = "off", ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true", ["NO_COLOR"] = "1" });

        var report = JsonNode.Parse(result.StdOut)
            ?? throw new InvalidOperationException($"redocly lint printed no JSON report:\n{result}");
        var problems = report["problems"]!.AsArray()
            .Select(p => $"{ArmScope.Str(p!["severity"])} {ArmScope.Str(p["ruleId"])}: {ArmScope.Str(p["message"])} at {p["location"]?.ToJsonString()}")
            .ToList();
        Assert.True(problems.Count == 0, "Redocly found:\n" + string.Join("\n", problems));
        Assert.Equal(0, report["totals"]!["errors"]!.GetValue<int>());
        Assert.Equal(0, report["totals"]!["warnings"]!.GetValue<int>());
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    /// <summary>"get /rooms/{room}/messages" for every operation under paths.</summary>
    private static IEnumerable<string> DocumentedOperations(YamlMappingNode document) =>
        Yaml.Map(document, "paths").Children.SelectMany(path => ((YamlMappingNode)path.Value).Children
            .Select(p => ((YamlScalarNode)p.Key).Value!)
            .Where(key => OperationKeys.Contains(key))
            .Select(method => $"{method} {((YamlScalarNode)path.Key).Value}"));

    /// <summary>Method and route of every HTTP trigger in the functions.metadata of this build of Functions/.</summary>
    private static IEnumerable<(string Method, string Route)> BuiltHttpRoutes()
    {
        var path = Repo.FunctionsMetadata;
        Assert.True(File.Exists(path), $"{path} is missing: building this test project builds Functions/ and writes it.");
        using var metadata = JsonDocument.Parse(File.ReadAllText(path));
        return metadata.RootElement.EnumerateArray()
            .SelectMany(function => function.GetProperty("bindings").EnumerateArray())
            .Where(binding => binding.GetProperty("type").GetString() == "httpTrigger")
            .SelectMany(binding => binding.GetProperty("methods").EnumerateArray()
                .Select(method => (method.GetString()!.ToLowerInvariant(), binding.GetProperty("route").GetString()!)))
            .ToList();
    }

    /// <summary>The server's URL with each variable at its default.</summary>
    private static string ServerUrl(YamlMappingNode server)
    {
        var url = Yaml.Text(server, "url");
        if (Yaml.Has(server, "variables"))
        {
            foreach (var (name, variable) in Yaml.Map(server, "variables").Children)
            {
                url = url.Replace($"{{{((YamlScalarNode)name).Value}}}", Yaml.Text(variable, "default"), StringComparison.Ordinal);
            }
        }
        return url;
    }

    private static string Tool(string name)
    {
        var path = Repo.PathOf("node_modules", ".bin", name);
        Assert.True(File.Exists(path), $"{path} is missing: run 'npm ci' at the repository root (scripts/test.sh does).");
        return path;
    }
}
