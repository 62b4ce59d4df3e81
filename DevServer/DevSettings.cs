using System.Text.Json;
using Microsoft.Extensions.Hosting;

namespace FunctionsChat.DevServer;

/// <summary>The settings func start would give the function app, plus DevServer's own defaults.</summary>
public static class DevSettings
{
    public const string DefaultUrl = "http://localhost:7071";
    public const string StorageSetting = "AzureWebJobsStorage";

    public static WebApplicationOptions HostOptions(string[] args, string? repoRoot) => new()
    {
        Args = args,
        EnvironmentName = EnvironmentName(args),
        // Not the repo root: the content root is watched for appsettings changes, and watching the repo means
        // an inotify watch on every folder of node_modules.
        ContentRootPath = AppContext.BaseDirectory,
        WebRootPath = repoRoot is null ? null : Path.Combine(repoRoot, "StaticSite"),
    };

    /// <summary>ASPNETCORE_/DOTNET_ENVIRONMENT or --environment when given; otherwise Development (this is a dev tool).</summary>
    public static string EnvironmentName(string[] args)
    {
        var host = new ConfigurationBuilder()
            .AddEnvironmentVariables("DOTNET_")
            .AddEnvironmentVariables("ASPNETCORE_")
            .AddCommandLine(args)
            .Build();
        return host[HostDefaults.EnvironmentKey] is { Length: > 0 } name ? name : Environments.Development;
    }

    /// <summary>
    /// Layers, lowest first: DevServer's defaults, <c>Functions/local.settings.json</c> <c>Values</c> (<c>__</c> read
    /// as <c>:</c>, as the Functions host does), environment variables, the command line. Returns the settings file
    /// when one was read.
    /// </summary>
    public static string? Load(ConfigurationManager configuration, string[] args, string? repoRoot)
    {
        configuration.AddInMemoryCollection(
        [
            // A fresh clone has no local.settings.json: it still runs, against Azurite.
            new(StorageSetting, "UseDevelopmentStorage=true"),
            // One log line per request drowns everything else once a page long-polls.
            new("Logging:LogLevel:Microsoft.AspNetCore", "Warning"),
        ]);
        var file = repoRoot is null ? null : Path.Combine(repoRoot, "Functions", "local.settings.json");
        var loaded = file is not null && File.Exists(file);
        if (loaded)
        {
            configuration.AddInMemoryCollection(ReadValues(file!));
        }
        // CreateBuilder added these already; adding them again puts them back on top of the two layers above.
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(args);
        return loaded ? file : null;
    }

    public static Dictionary<string, string?> ReadValues(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (json.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var setting in section.EnumerateObject())
            {
                values[setting.Name.Replace("__", ConfigurationPath.KeyDelimiter)] =
                    setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString() : setting.Value.GetRawText();
            }
        }
        return values;
    }

    /// <summary>http://localhost:7071 like func, unless --urls or ASPNETCORE_URLS/DOTNET_URLS says otherwise.</summary>
    public static void UseDefaultUrl(WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[WebHostDefaults.ServerUrlsKey]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }
    }
}
