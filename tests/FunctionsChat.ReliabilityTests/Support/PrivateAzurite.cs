using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>
/// An Azurite of the test's own (never the shared one on 10000-10002): the repo's node_modules/.bin/azurite on three
/// free ports, with its data on disk in a temp folder, so it can be stopped and started again with its data.
/// </summary>
public sealed class PrivateAzurite : IAsyncDisposable
{
    // Azurite's well-known development account key: not a secret.
    private const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private Process? _process;

    private PrivateAzurite(int basePort, string location)
    {
        BasePort = basePort;
        Location = location;
    }

    public int BasePort { get; }

    public string Location { get; }

    public bool IsRunning => _process is { HasExited: false };

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={AccountKey};" +
        $"BlobEndpoint=http://127.0.0.1:{BasePort}/devstoreaccount1;" +
        $"QueueEndpoint=http://127.0.0.1:{BasePort + 1}/devstoreaccount1;" +
        $"TableEndpoint=http://127.0.0.1:{BasePort + 2}/devstoreaccount1;";

    public static async Task<PrivateAzurite> StartAsync()
    {
        var azurite = new PrivateAzurite(FreePorts.ThreeInARow(), Directory.CreateTempSubdirectory("reliability-azurite-").FullName);
        await azurite.StartAgainAsync();
        return azurite;
    }

    /// <summary>Starts (again) on the same ports and data folder, and waits until all three ports listen.</summary>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("This Azurite is running already.");
        }
        var start = new ProcessStartInfo(Path.Combine(Paths.RepoRoot, "node_modules", ".bin", "azurite"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--silent", "--skipApiVersionCheck", "--loose", "--disableTelemetry", "--location", Location,
            "--blobHost", "127.0.0.1", "--blobPort", $"{BasePort}",
            "--queueHost", "127.0.0.1", "--queuePort", $"{BasePort + 1}",
            "--tableHost", "127.0.0.1", "--tablePort", $"{BasePort + 2}",
        })
        {
            start.ArgumentList.Add(argument);
        }
        _process = Process.Start(start) ?? throw new InvalidOperationException("Could not start Azurite.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        await Eventually.UntilAsync(async () =>
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"Azurite exited with {_process.ExitCode} before it listened on {BasePort}-{BasePort + 2}.");
            }
            return await ListeningCountAsync() == 3;
        }, StartTimeout, $"Azurite listening on 127.0.0.1:{BasePort}-{BasePort + 2}");
    }

    /// <summary>
    /// SIGSTOP: the process stays, its ports still accept connections (the kernel queues them), but nothing answers.
    /// Storage that hangs rather than refuses, like a network partition.
    /// </summary>
    public void Freeze() => Signal(19);

    /// <summary>SIGCONT: carries on where it was frozen.</summary>
    public void Thaw() => Signal(18);

    private void Signal(int signal)
    {
        if (_process is { HasExited: false } process && kill(process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Stops it the way an operator would (SIGTERM: it saves its data), and waits until the ports are closed.</summary>
    public async Task StopAsync()
    {
        if (_process is null || _process.HasExited)
        {
            return;
        }
        _ = kill(_process.Id, 18); // a frozen process would not act on SIGTERM
        _ = kill(_process.Id, 15);
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        {
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        _process.Dispose();
        _process = null;
        await Eventually.UntilAsync(async () => await ListeningCountAsync() == 0, TimeSpan.FromSeconds(20), "Azurite's ports closed");
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(Location, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder; best effort.
        }
    }

    private async Task<int> ListeningCountAsync()
    {
        var count = 0;
        for (var port = BasePort; port < BasePort + 3; port++)
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await client.ConnectAsync("127.0.0.1", port, timeout.Token);
                count++;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                // Not listening.
            }
        }
        return count;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
