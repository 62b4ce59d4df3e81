using System.Reflection;
using System.Text.Json;

namespace FunctionsChat.DevServer.Workers;

/// <summary>
/// The function app's build output, read the way the Functions host reads it: <c>worker.config.json</c> says how to
/// start the worker, <c>host.json</c> gives the HTTP route prefix.
/// </summary>
public sealed record FunctionApp(string Directory, string Language, string Executable, string WorkerPath, string RoutePrefix)
{
    /// <summary>Another build output to run (a publish folder, say) instead of the one built beside DevServer.</summary>
    public const string DirectorySetting = "DevServer:FunctionAppDirectory";

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static FunctionApp Locate(IConfiguration configuration)
    {
        var directory = configuration[DirectorySetting] is { Length: > 0 } configured
            ? Path.GetFullPath(configured)
            : typeof(FunctionApp).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "FunctionsAppDirectory").Value!;
        var workerConfig = Path.Combine(directory, "worker.config.json");
        if (!File.Exists(workerConfig))
        {
            throw new DevServerException($"{workerConfig} is missing: build the function app first (dotnet build Functions).");
        }
        using var config = JsonDocument.Parse(File.ReadAllText(workerConfig), Lenient);
        var description = config.RootElement.GetProperty("description");
        var executable = description.TryGetProperty("defaultExecutablePath", out var e) ? e.GetString() : null;
        var workerPath = description.TryGetProperty("defaultWorkerPath", out var w) ? w.GetString() : null;
        if (string.IsNullOrEmpty(executable) || string.IsNullOrEmpty(workerPath))
        {
            throw new DevServerException($"{workerConfig} names no defaultExecutablePath and defaultWorkerPath.");
        }
        var language = description.TryGetProperty("language", out var l) ? l.GetString() ?? "" : "";
        return new FunctionApp(directory, language, executable, Path.Combine(directory, workerPath), ReadRoutePrefix(directory));
    }

    /// <summary><c>extensions.http.routePrefix</c> of host.json; "api" when it says nothing, as in the host.</summary>
    private static string ReadRoutePrefix(string directory)
    {
        var hostJson = Path.Combine(directory, "host.json");
        if (!File.Exists(hostJson))
        {
            return "api";
        }
        using var host = JsonDocument.Parse(File.ReadAllText(hostJson), Lenient);
        return host.RootElement.TryGetProperty("extensions", out var extensions)
            && extensions.TryGetProperty("http", out var http)
            && http.TryGetProperty("routePrefix", out var prefix)
            && prefix.GetString() is { } value
                ? value.Trim('/')
                : "api";
    }
}
