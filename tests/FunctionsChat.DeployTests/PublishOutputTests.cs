using System.Text.Json;
using System.Text.Json.Nodes;
using FunctionsChat.DeployTests.Support;

namespace FunctionsChat.DeployTests;

/// <summary>
/// `dotnet publish` of the function app, done once into a temp folder from a clean copy of Functions/ (so it never
/// races a build of the working tree), yields what the Functions host needs: the package azd and Core Tools upload.
/// </summary>
public sealed class PublishedApp : IAsyncLifetime
{
    private DirectoryInfo _work = null!;

    public string Output { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _work = Directory.CreateTempSubdirectory("functionschat-publish-");
        var source = Path.Combine(_work.FullName, "src");
        CopyTree(Repo.PathOf("Functions"), Path.Combine(source, "Functions"));
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", "host.json", "NuGet.config", "nuget.config" })
        {
            if (File.Exists(Repo.PathOf(file)))
            {
                File.Copy(Repo.PathOf(file), Path.Combine(source, file));
            }
        }
        // A developer's local settings (with secrets) sit in the project folder; they must never reach the package.
        await File.WriteAllTextAsync(Path.Combine(source, "Functions", "local.settings.json"),
            """{ "IsEncrypted": false, "Values": { "Chat__SigningKey": "local-only-secret-that-must-not-be-published" } }""");

        Output = Path.Combine(_work.FullName, "out");
        var result = await Run.ProcessAsync("dotnet",
            ["publish", Path.Combine(source, "Functions", "Functions.csproj"), "-c", "Release", "-o", Output, "--nologo"],
            TimeSpan.FromMinutes(8),
            workingDirectory: source,
            environment: new Dictionary<string, string?> { ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1", ["MSBUILDDISABLENODEREUSE"] = "1" });
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish Functions failed:\n{result}");
        }
    }

    public Task DisposeAsync()
    {
        _work.Delete(recursive: true);
        return Task.CompletedTask;
    }

    public JsonNode Json(string file) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(Output, file)), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!;

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            if (Path.GetFileName(file) != "local.settings.json")
            {
                File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
            }
        }
        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(dir);
            if (name is not ("bin" or "obj") && !name.StartsWith('.'))
            {
                CopyTree(dir, Path.Combine(to, name));
            }
        }
    }
}

public sealed class PublishOutputTests(PublishedApp app) : IClassFixture<PublishedApp>
{
    // API v1 (issue 2): every route the page and clients call, with its method.
    private static readonly (string Method, string Route)[] ApiRoutes =
    [
        ("post", "rooms/{room}/members"),
        ("post", "rooms/{room}/messages"),
        ("get", "rooms/{room}/messages"),
        ("get", "rooms/{room}/updates"),
        ("get", "rooms/{room}/members"),
        ("delete", "rooms/{room}/members/{userId}"),
        ("get", "health"),
    ];

    [Fact]
    public void Publishing_the_function_app_produces_metadata_worker_config_host_json_and_extensions_json()
    {
        foreach (var file in new[] { "functions.metadata", "worker.config.json", "host.json", "extensions.json" })
        {
            Assert.True(File.Exists(Path.Combine(app.Output, file)), $"{file} is missing from the publish output");
        }
    }

    [Fact]
    public void Functions_metadata_lists_every_API_route_as_an_anonymous_HTTP_trigger()
    {
        var httpTriggers = app.Json("functions.metadata").AsArray()
            .SelectMany(f => f!["bindings"]!.AsArray())
            .Where(b => ArmScope.Str(b!["type"]) == "httpTrigger")
            .ToList();

        Assert.All(httpTriggers, b => Assert.False(string.IsNullOrEmpty(ArmScope.Str(b!["route"])), "an HTTP function without a route"));
        Assert.All(httpTriggers, b => Assert.Equal("Anonymous", ArmScope.Str(b!["authLevel"])));
        var published = httpTriggers
            .SelectMany(b => b!["methods"]!.AsArray().Select(m => (Method: m!.GetValue<string>().ToLowerInvariant(), Route: ArmScope.Str(b["route"])!)))
            .ToHashSet();
        Assert.All(ApiRoutes, route => Assert.Contains(route, published));
    }

    [Fact]
    public void Functions_metadata_has_the_member_cleanup_timer()
    {
        var triggers = app.Json("functions.metadata").AsArray()
            .SelectMany(f => f!["bindings"]!.AsArray()).Select(b => ArmScope.Str(b!["type"])).ToList();

        Assert.Contains("timerTrigger", triggers);
    }

    [Fact]
    public void Worker_config_starts_the_dotnet_isolated_worker_from_a_dll_that_is_in_the_package()
    {
        var description = app.Json("worker.config.json")["description"]!;

        Assert.Equal("dotnet-isolated", ArmScope.Str(description["language"]));
        var worker = ArmScope.Str(description["defaultWorkerPath"])!;
        Assert.True(File.Exists(Path.Combine(app.Output, worker)), $"{worker} named by worker.config.json is not in the package");
    }

    [Fact]
    public void Extensions_json_points_only_at_assemblies_that_are_in_the_package()
    {
        var extensions = app.Json("extensions.json")["extensions"]!.AsArray();

        Assert.NotEmpty(extensions);
        foreach (var extension in extensions)
        {
            var hint = ArmScope.Str(extension!["hintPath"])!;
            Assert.True(File.Exists(Path.GetFullPath(Path.Combine(app.Output, hint))), $"extensions.json hintPath {hint} is missing");
        }
    }

    [Fact]
    public void The_published_host_json_is_the_repositorys_version_2_host_json_with_the_api_route_prefix()
    {
        var host = app.Json("host.json");

        Assert.Equal("2.0", ArmScope.Str(host["version"]));
        Assert.Equal("api", ArmScope.Str(host["extensions"]?["http"]?["routePrefix"]) ?? "api");
        Assert.Equal(Repo.Read("host.json"), File.ReadAllText(Path.Combine(app.Output, "host.json")));
    }

    [Fact]
    public void A_local_settings_json_in_the_project_never_reaches_the_package()
    {
        var leaked = Directory.EnumerateFiles(app.Output, "local.settings.json", SearchOption.AllDirectories).ToList();

        Assert.Empty(leaked);
    }
}
