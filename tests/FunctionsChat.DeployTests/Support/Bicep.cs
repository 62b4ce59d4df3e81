using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FunctionsChat.DeployTests.Support;

/// <summary>The Bicep CLI from NuGet, run offline (--no-restore: the template uses no registry modules).</summary>
public static partial class Bicep
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    public static IEnumerable<string> Files() =>
        Directory.EnumerateFiles(Repo.Infra, "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    public static string Executable()
    {
        var path = Repo.BicepPath;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"The Bicep CLI is not at {path}. It comes from the NuGet package Azure.Bicep.CommandLine.linux-x64 " +
                "(PackageDownload in FunctionsChat.DeployTests.csproj): run 'dotnet restore' for the test project.", path);
        }
        // NuGet extraction does not always keep the execute bit.
        var mode = File.GetUnixFileMode(path);
        if ((mode & UnixFileMode.UserExecute) == 0)
        {
            File.SetUnixFileMode(path, mode | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        }
        return path;
    }

    public static Task<RunResult> BuildAsync(string file) =>
        Run.ProcessAsync(Executable(), ["build", file, "--stdout", "--no-restore"], Timeout);

    public static Task<RunResult> LintAsync(string file) =>
        Run.ProcessAsync(Executable(), ["lint", file, "--no-restore"], Timeout);

    /// <summary>Diagnostic lines of the form "file(line,col) : Warning BCP081: ...", any level.</summary>
    public static IReadOnlyList<string> Diagnostics(RunResult result) =>
        result.Output.Split('\n').Where(line => DiagnosticLine().IsMatch(line)).Select(line => line.Trim()).ToList();

    public static async Task<JsonObject> CompileAsync(string file)
    {
        var result = await BuildAsync(file);
        if (result.ExitCode != 0 || Diagnostics(result).Count > 0)
        {
            throw new InvalidOperationException($"bicep build {file} failed:\n{result}");
        }
        return JsonNode.Parse(result.StdOut)!.AsObject();
    }

    [GeneratedRegex(@"\(\d+,\d+\)\s*:\s*(Error|Warning|Info)\s+[\w-]+:")]
    private static partial Regex DiagnosticLine();
}
