using System.Reflection;

namespace FunctionsChat.TestSupport;

/// <summary>Build outputs of this configuration, as recorded by the project file.</summary>
public static class Paths
{
    public static string RepoRoot { get; } = Metadata("RepoRoot");

    private static string Output(string project) => Path.Combine(RepoRoot, project, Metadata("OutputSubfolder"));

    public static string DevServerDll => Path.Combine(Output("DevServer"), "DevServer.dll");

    public static string FunctionsMetadata => Path.Combine(Output("Functions"), "functions.metadata");

    public static string FunctionsDll => Path.Combine(Output("Functions"), "FunctionsChat.Functions.dll");

    private static string Metadata(string key) =>
        typeof(Paths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
