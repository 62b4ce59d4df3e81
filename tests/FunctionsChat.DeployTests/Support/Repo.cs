using System.Reflection;

namespace FunctionsChat.DeployTests.Support;

/// <summary>Paths baked into the test assembly at build time (see the csproj), so tests find files from any working directory.</summary>
public static class Repo
{
    public static string Root { get; } = Metadata("RepoRoot");

    /// <summary>The Bicep CLI that restore downloaded from NuGet (Azure.Bicep.CommandLine.linux-x64).</summary>
    public static string BicepPath { get; } = Metadata("BicepPath");

    /// <summary>functions.metadata in the build output of Functions/, which building this project builds.</summary>
    public static string FunctionsMetadata { get; } = Metadata("FunctionsMetadata");

    public static string Infra => Path.Combine(Root, "infra");

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    private static string Metadata(string key) =>
        typeof(Repo).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is missing.");
}
