using FunctionsChat.DevServer;
using FunctionsChat.DevServer.Http;
using FunctionsChat.DevServer.Workers;
using Microsoft.AspNetCore.Connections;

// DevServer: a small Functions host for this machine. It starts the real function app build as worker processes and
// drives them over the Functions RPC protocol, as func start and Azure do; plus Azurite, the page and the timer.
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
    var functionApp = FunctionApp.Locate(builder.Configuration);
    var workerCount = WorkerPool.ReadCount(builder.Configuration);

    // 2. The host side of the RPC protocol (and, in Development, the OTLP receiver for the workers' meters).
    var storageCounts = new Diagnostics.StorageCounts();
    await using var rpc = await RpcServer.StartAsync(b => b.Services.AddSingleton(storageCounts), r => r.MapOtlpReceiver());
    var workerSettings = DevSettings.WorkerSettings(builder.Configuration, settingsFile, builder.Environment);
    if (builder.Environment.IsDevelopment())
    {
        foreach (var (name, value) in Diagnostics.WorkerExportSettings(builder.Configuration, rpc.Uri))
        {
            workerSettings[name] = value;
        }
    }
    builder.Services.AddSingleton(services => new WorkerPool(functionApp, rpc, workerSettings, workerCount, services.GetRequiredService<ILoggerFactory>())
    {
        SendInvocationCancel = builder.Configuration.GetValue("DevServer:SendInvocationCancel", true),
        DrainGrace = WorkerPool.ReadDrainGrace(builder.Configuration),
    });
    builder.Services.AddHttpForwarder();
    builder.Services.AddSingleton<HttpFunctionInvoker>();
    builder.Services.AddSingleton(storageCounts);
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

    // Read now: once RunAsync fails, the host (and app.Urls with it) is disposed. Checked before the workers start,
    // so a port in use is said in a second, not after the workers' start-up.
    var urls = (app.Configuration[WebHostDefaults.ServerUrlsKey] ?? "").Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
    if (DevSettings.FirstUrlInUse(urls) is { } taken)
    {
        throw PortInUse(taken);
    }

    // 4. The worker processes; what they report decides the routes and the timers. Stopped before Azurite. Workers a
    // killed DevServer left running are stopped first; ours are written down for the next one, should we be killed.
    var pidFolder = WorkerPidFile.FolderFor(builder.Configuration, repoRoot);
    if (WorkerPidFile.StopLeftovers(pidFolder) is { } stoppedLeftovers)
    {
        Console.WriteLine(stoppedLeftovers);
    }
    using var pidFile = WorkerPidFile.Create(pidFolder);
    var pool = app.Services.GetRequiredService<WorkerPool>();
    pool.PidFile = pidFile;
    await using var stopWorkers = pool;
    log.LogInformation("Starting {Count} worker process(es) of {App}.", workerCount, functionApp.WorkerPath);
    var functions = await pool.StartAsync();
    var timers = ActivatorUtilities.CreateInstance<TimerFunctions>(app.Services, functions.Timers);

    // 5. Every HTTP function at its route, the page at /, dev diagnostics.
    app.UseDevSecurity(functionApp.RoutePrefix);
    app.MapFunctions(functions, functionApp.RoutePrefix);
    if (app.Environment.IsDevelopment())
    {
        app.MapDevDiagnostics(pool);
    }
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

    // 6. Like func start: the function list, then one line that says where to go.
    app.Lifetime.ApplicationStarted.Register(() =>
    {
        var url = app.Urls.First().Replace("://0.0.0.0", "://localhost").Replace("://[::]", "://localhost").Replace("://+", "://localhost").TrimEnd('/');
        Console.WriteLine(FunctionList.Describe(functions, url, functionApp.RoutePrefix));
        Console.WriteLine($"FunctionsChat is running at {url}/ (room: {url}/?room=lobby). Press Ctrl+C to stop.");
        _ = timers.StartAsync(app.Lifetime.ApplicationStopping);
    });
    app.Lifetime.ApplicationStopping.Register(() =>
    {
        // The workers stop in the host's order while Kestrel waits for the open requests: those answer (a long poll
        // with what its function returns when cancelled or stopping) instead of being aborted.
        _ = pool.BeginStopping();
        _ = timers.StopAsync(CancellationToken.None);
    });

    try
    {
        await app.RunAsync();
    }
    catch (IOException e) when (e.InnerException is AddressInUseException)
    {
        // Kestrel binds only now, after Azurite and the workers started; thrown inside their `await using` scopes, so
        // that they are stopped before the message is printed.
        throw PortInUse(urls.Length == 1 ? urls[0] : $"one of {string.Join(", ", urls)}");
    }
    await timers.StopAsync(CancellationToken.None);
    return 0;
}
catch (DevServerException e)
{
    Console.Error.WriteLine($"DevServer cannot start: {e.Message}");
    return 1;
}

static DevServerException PortInUse(string where) =>
    new($"{where} is already in use — stop the other process or pass --urls http://127.0.0.1:<another port>.");
