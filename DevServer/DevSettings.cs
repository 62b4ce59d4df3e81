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
            new("Logging:LogLevel:Yarp", "Warning"),
            // The worker's own start-up lines (its private listening address, its content root) only confuse.
            new("Logging:LogLevel:Worker.Microsoft.Hosting.Lifetime", "Warning"),
            new("Logging:LogLevel:Worker.Microsoft.AspNetCore", "Warning"),
            // The worker's ASP.NET Core integration makes an unused key ring; its warning is no news here.
            new("Logging:LogLevel:Worker.Microsoft.AspNetCore.DataProtection", "Error"),
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

    public static Dictionary<string, string?> ReadValues(string file) =>
        ReadRawValues(file).ToDictionary(kv => kv.Key.Replace("__", ConfigurationPath.KeyDelimiter), kv => kv.Value, StringComparer.OrdinalIgnoreCase);

    /// <summary>The <c>Values</c> entries with their names as written (environment-variable form).</summary>
    private static Dictionary<string, string?> ReadRawValues(string file)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (json.RootElement.TryGetProperty("Values", out var section) && section.ValueKind == JsonValueKind.Object)
        {
            foreach (var setting in section.EnumerateObject())
            {
                values[setting.Name] =
                    setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString() : setting.Value.GetRawText();
            }
        }
        return values;
    }

    /// <summary>
    /// The app settings a worker process gets on top of DevServer's own environment, as Core Tools gives them: every
    /// <c>Values</c> entry of local.settings.json that the environment does not already set, then what DevServer
    /// itself decided (the storage connection, a development signing key, the environment name).
    /// </summary>
    public static Dictionary<string, string> WorkerSettings(IConfiguration configuration, string? settingsFile, IHostEnvironment environment)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        if (settingsFile is not null)
        {
            foreach (var (name, value) in ReadRawValues(settingsFile))
            {
                if (Environment.GetEnvironmentVariable(name) is null && value is not null)
                {
                    settings[name] = value;
                }
            }
        }
        settings[StorageSetting] = configuration[StorageSetting]!;
        if (configuration[DevSigningKey.Setting] is { Length: > 0 } key)
        {
            settings[DevSigningKey.Setting.Replace(":", "__")] = key;
        }
        if (Environment.GetEnvironmentVariable("AZURE_FUNCTIONS_ENVIRONMENT") is null && !settings.ContainsKey("AZURE_FUNCTIONS_ENVIRONMENT"))
        {
            settings["AZURE_FUNCTIONS_ENVIRONMENT"] = environment.EnvironmentName;
        }
        return settings;
    }

    /// <summary>The first of the URLs whose port some other process already listens on, if any.</summary>
    public static string? FirstUrlInUse(IEnumerable<string> urls)
    {
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("://+", "://0.0.0.0").Replace("://*", "://0.0.0.0"), UriKind.Absolute, out var uri) || uri.Port == 0)
            {
                continue;
            }
            var address = uri.Host is "localhost" ? System.Net.IPAddress.Loopback
                : System.Net.IPAddress.TryParse(uri.Host.Trim('[', ']'), out var parsed) ? parsed : null;
            if (address is null)
            {
                continue;
            }
            try
            {
                using var probe = new System.Net.Sockets.TcpListener(address, uri.Port);
                probe.Start();
            }
            catch (System.Net.Sockets.SocketException e) when (e.SocketErrorCode == System.Net.Sockets.SocketError.AddressAlreadyInUse)
            {
                return url;
            }
        }
        return null;
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
