using System.Text.Json.Nodes;

namespace FunctionsChat.DeployTests.Support;

/// <summary>infra/main.bicep compiled once per test run and shared by the tests that read the ARM JSON.</summary>
public sealed class CompiledTemplate : IAsyncLifetime
{
    public ArmScope Main { get; private set; } = null!;

    public JsonObject Json { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Json = await Bicep.CompileAsync(Path.Combine(Repo.Infra, "main.bicep"));
        Main = ArmScope.Root(Json);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public (ArmScope Scope, JsonObject Resource) Single(string type)
    {
        var found = Main.ResourcesOfType(type).ToList();
        Assert.True(found.Count == 1, $"Expected exactly one {type} in the template, found {found.Count}.");
        return found[0];
    }

    public (ArmScope Scope, JsonObject Resource) FunctionApp => Single("Microsoft.Web/sites");

    /// <summary>The function app's settings: name to the expression or literal the template gives it.</summary>
    public (ArmScope Scope, JsonObject Settings) AppSettings
    {
        get
        {
            var configs = Main.ResourcesOfType("Microsoft.Web/sites/config")
                .Where(c => ArmScope.Str(c.Resource["name"])?.Contains("appsettings", StringComparison.Ordinal) == true)
                .ToList();
            Assert.True(configs.Count == 1, $"Expected one sites/config 'appsettings' resource, found {configs.Count}.");
            return (configs[0].Scope, configs[0].Resource["properties"]!.AsObject());
        }
    }
}

/// <summary>
/// Tests that read the compiled template or build storage clients. One collection, so they run one after another: the
/// fake managed identity sets process-wide environment variables.
/// </summary>
[CollectionDefinition(Name)]
public sealed class DeploymentCollection : ICollectionFixture<CompiledTemplate>, ICollectionFixture<FakeManagedIdentity>
{
    public const string Name = "compiled main.bicep and a fake managed identity";
}
