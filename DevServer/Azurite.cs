using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FunctionsChat.DevServer;

/// <summary>
/// When storage is <c>UseDevelopmentStorage=true</c>, makes sure Azurite listens: uses one that is already running
/// (and leaves it alone), or starts the repo's own from node_modules and stops it again when disposed.
/// </summary>
public sealed class Azurite : IAsyncDisposable
{
    /// <summary>Moves Azurite off 10000-10002 (blob, queue, table = base, +1, +2), e.g. to run beside another one.</summary>
    public const string BasePortSetting = "DevServer:AzuriteBasePort";
    public const int DefaultBasePort = 10000;

    /// <summary>Where a started Azurite keeps its data; default <c>.azurite</c>, or <c>.devdata/azurite-{port}</c> off the default ports.</summary>
    public const string LocationSetting = "DevServer:AzuriteLocation";

    // Azurite's well-known development account; not a secret.
    private const string DevAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    // Node.js starting three listeners can take tens of seconds on a loaded 2-core machine (a CI run once hit 30 s).
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly Process? _process;
    private readonly ILogger _logger;

    private Azurite(Process? process, ILogger logger)
    {
        _process = process;
        _logger = logger;
    }

    public int? ProcessId => _process?.Id;

    public sealed record Ports(int Blob, int Queue, int Table, string? Location = null)
    {
        public int[] All => [Blob, Queue, Table];

        public override string ToString() => $"127.0.0.1:{Blob}-{Table}";
    }

    /// <summary>
    /// The ports Azurite must listen on, or null when storage is not the local emulator. A non-default base port also
    /// points the storage setting at those ports (the plain <c>UseDevelopmentStorage=true</c> always means 10000-10002).
    /// </summary>
    public static Ports? Configure(ConfigurationManager configuration)
    {
        if (!string.Equals(configuration[DevSettings.StorageSetting]?.Trim().TrimEnd(';'), "UseDevelopmentStorage=true", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var basePort = configuration.GetValue(BasePortSetting, DefaultBasePort);
        var ports = new Ports(basePort, basePort + 1, basePort + 2, configuration[LocationSetting]);
        if (basePort != DefaultBasePort)
        {
            configuration.AddInMemoryCollection([new(DevSettings.StorageSetting, ConnectionString(ports))]);
        }
        return ports;
    }

    public static string ConnectionString(Ports ports) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevAccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{ports.Blob}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{ports.Queue}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{ports.Table}/devstoreaccount1;";

    public static async Task<Azurite> EnsureRunningAsync(Ports ports, string? repoRoot, ILogger logger, CancellationToken cancellationToken = default)
    {
        var listening = await CountListeningAsync(ports);
        if (listening == ports.All.Length)
        {
            logger.LogInformation("Using the Azurite already listening on {Ports}; DevServer leaves it running.", ports);
            return new Azurite(null, logger);
        }
        if (listening > 0)
        {
            throw new DevServerException($"Some but not all of the Azurite ports {ports} are in use. Stop whatever holds them, " +
                $"or move DevServer's Azurite with the setting {BasePortSetting.Replace(":", "__")}.");
        }
        var executable = repoRoot is null ? null : Path.Combine(repoRoot, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");
        if (executable is null || !File.Exists(executable))
        {
            throw new DevServerException($"Azurite is not installed. Run `npm ci` in {repoRoot ?? "the repository root"} once, then start DevServer again.");
        }
        var location = ports.Location ?? (ports.Blob == DefaultBasePort
            ? Path.Combine(repoRoot!, ".azurite")
            : Path.Combine(repoRoot!, ".devdata", $"azurite-{ports.Blob}")); // never share a data folder with another Azurite
        var start = new ProcessStartInfo(executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[]
        {
            // No telemetry: besides being a local tool, its pending upload keeps node alive after a shutdown signal.
            "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--location", location,
            "--blobHost", "127.0.0.1", "--blobPort", $"{ports.Blob}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{ports.Queue}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{ports.Table}",
        })
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new DevServerException($"Could not start {executable}.");
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) logger.LogDebug("azurite: {Line}", e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) logger.LogWarning("azurite: {Line}", e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var azurite = new Azurite(process, logger);
        try
        {
            await azurite.WaitUntilListeningAsync(ports, cancellationToken);
        }
        catch
        {
            await azurite.DisposeAsync();
            throw;
        }
        logger.LogInformation("Started Azurite (pid {Pid}) on {Ports} with its data in {Location}; it stops when DevServer stops.", process.Id, ports, location);
        return azurite;
    }

    private async Task WaitUntilListeningAsync(Ports ports, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + StartTimeout;
        while (await CountListeningAsync(ports) < ports.All.Length)
        {
            if (_process!.HasExited)
            {
                throw new DevServerException($"Azurite exited with code {_process.ExitCode} before it listened on {ports} (its output is logged above).");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new DevServerException($"Azurite did not listen on {ports} within {StartTimeout.TotalSeconds} s.");
            }
            await Task.Delay(100, cancellationToken);
        }
    }

    public static async Task<int> CountListeningAsync(Ports ports)
    {
        var results = await Task.WhenAll(ports.All.Select(IsListeningAsync));
        return results.Count(listening => listening);
    }

    public static async Task<bool> IsListeningAsync(int port)
    {
        using var client = new TcpClient();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync("127.0.0.1", port, timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Stops the Azurite this instance started: politely first (it flushes its data), then the whole tree.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }
        using var process = _process;
        if (!process.HasExited)
        {
            if (!OperatingSystem.IsWindows())
            {
                _ = Kill(process.Id, SigTerm);
            }
            using var grace = new CancellationTokenSource(StopTimeout);
            try
            {
                await process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        _logger.LogInformation("Stopped Azurite (pid {Pid}).", process.Id);
    }

    private const int SigTerm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
