using FunctionsChat;
using FunctionsChat.DevServer;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;

// DevServer: the function app as a plain ASP.NET Core app, for this machine. Same function classes, same AddChat
// registrations and the same settings as under func start; plus Azurite, the page and the timer.
try
{
    var repoRoot = RepoRoot.Find();
    var builder = WebApplication.CreateBuilder(DevSettings.HostOptions(args, repoRoot));

    // 1. Settings: defaults < Functions/local.settings.json Values < environment variables < command line.
    var settingsFile = DevSettings.Load(builder.Configuration, args, repoRoot);
    DevSettings.UseDefaultUrl(builder);
    var devKey = DevSigningKey.EnsureForDevelopment(builder.Configuration, builder.Environment,
        Path.Combine(repoRoot ?? Environment.CurrentDirectory, ".devdata"));
    var azuritePorts = Azurite.Configure(builder.Configuration);

    // 2. The one shared registration of the chat, and the timer functions.
    var functions = typeof(ChatOptions).Assembly;
    builder.Services.AddChat(builder.Configuration);
    var timers = TimerFunctions.Discover(functions, builder.Configuration);
    builder.Services.AddHostedService(services => ActivatorUtilities.CreateInstance<TimerFunctions>(services, timers));
    builder.AddDevSecurity(settingsFile);

    var app = builder.Build();
    var log = app.Logger;
    if (settingsFile is not null)
    {
        log.LogInformation("Settings from {File}, then environment variables and the command line.", settingsFile);
    }
    if (devKey is not null)
    {
        log.LogWarning("Chat:SigningKey is not set: DevServer {Action} a development signing key, kept in {File} and shared by every DevServer on this clone. Set Chat__SigningKey to use your own.",
            devKey.Created ? "generated" : "uses", devKey.File);
    }

    // 3. Azurite, when storage is the local emulator: the one already running, or ours until we exit.
    await using var azurite = azuritePorts is null ? null : await Azurite.EnsureRunningAsync(azuritePorts, repoRoot, log);

    // 4. Every HTTP function at api/{route}, then the page at /.
    app.MapFunctions(functions);
    app.MapDevDiagnostics();
    app.UseDevSecurity();
    app.UseDefaultFiles();
    app.UseStaticFiles(new StaticFileOptions
    {
        // Always revalidate, so an edited page shows on the next reload.
        OnPrepareResponse = file => file.Context.Response.Headers.CacheControl = "no-cache",
    });
    if (!Directory.Exists(app.Environment.WebRootPath))
    {
        log.LogWarning("No StaticSite folder found; only the API is served.");
    }

    // 5. One line that says where to go.
    app.Lifetime.ApplicationStarted.Register(() =>
    {
        var url = app.Urls.First().Replace("://0.0.0.0", "://localhost").Replace("://[::]", "://localhost").Replace("://+", "://localhost").TrimEnd('/');
        Console.WriteLine($"FunctionsChat is running at {url}/ (room: {url}/?room=lobby). Press Ctrl+C to stop.");
    });

    // Read now: once RunAsync fails, the host (and app.Urls with it) is disposed.
    var urls = (app.Configuration[WebHostDefaults.ServerUrlsKey] ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    try
    {
        await app.RunAsync();
    }
    catch (IOException e) when (e.InnerException is AddressInUseException)
    {
        // Kestrel binds only now, after Azurite started; thrown inside its `await using` scope, so that Azurite is stopped
        // before the message is printed.
        var where = urls.Length == 1 ? urls[0] : $"one of {string.Join(", ", urls)}";
        throw new DevServerException($"{where} is already in use — stop the other process or pass --urls http://127.0.0.1:<another port>.");
    }
    return 0;
}
catch (DevServerException e)
{
    Console.Error.WriteLine($"DevServer cannot start: {e.Message}");
    return 1;
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine($"DevServer cannot start: {string.Join(" ", e.Failures)}");
    return 1;
}
