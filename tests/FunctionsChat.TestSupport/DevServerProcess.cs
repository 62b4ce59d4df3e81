using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace FunctionsChat.TestSupport;

/// <summary>
/// DevServer as a child process (<c>dotnet DevServer.dll --urls ...</c>), its output captured. Disposing stops it
/// with SIGTERM, like a developer would, so it stops an Azurite it started; a kill of the whole tree follows if not.
/// </summary>
public sealed class DevServerProcess : IAsyncDisposable
{
    public const int SigInt = 2;
    public const int SigTerm = 15;
    public const int SigKill = 9;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(120);

    private readonly StringBuilder _output = new();

    private DevServerProcess(Process process, Uri baseAddress)
    {
        Process = process;
        BaseAddress = baseAddress;
    }

    public Process Process { get; }

    public Uri BaseAddress { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>
    /// Starts DevServer in <paramref name="workingDirectory"/> (default: the repo root) without waiting for it, on
    /// <paramref name="port"/> (default: a free one; give the old one to restart a server where its clients expect it).
    /// </summary>
    public static DevServerProcess Start(IReadOnlyDictionary<string, string> environment, string? workingDirectory = null, int? port = null)
    {
        port ??= FreePorts.One();
        // Through env, which puts SIGINT back to its default and execs dotnet (same pid): a test run started in the
        // background (`cmd &` in a script, some CI runners) has SIGINT ignored, DevServer would inherit that, and .NET
        // leaves an inherited ignored signal ignored, so Signal(SigInt) would do nothing. In a terminal, Ctrl+C reaches it.
        var start = new ProcessStartInfo("env")
        {
            WorkingDirectory = workingDirectory ?? Paths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Paths.DevServerDll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        var process = Process.Start(start)!;
        var server = new DevServerProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => server.Append(e.Data);
        process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Starts DevServer and polls /api/health until it answers 200.</summary>
    public static async Task<DevServerProcess> StartHealthyAsync(IReadOnlyDictionary<string, string> environment, int? port = null)
    {
        var server = Start(environment, port: port);
        try
        {
            await server.WaitUntilHealthyAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async Task WaitUntilHealthyAsync()
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (Process.HasExited)
            {
                Process.WaitForExit(); // drains the redirected output, so the message says why it stopped
                throw new InvalidOperationException($"DevServer exited with {Process.ExitCode} before it was healthy:\n{Output}");
            }
            try
            {
                using var response = await http.GetAsync("api/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"DevServer was not healthy within {StartTimeout.TotalSeconds} s:\n{Output}");
            }
            await Task.Delay(200);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        await Process.WaitForExitAsync(cancellation.Token);
        return Process.ExitCode;
    }

    public void Signal(int signal)
    {
        // An ignored signal is dropped without a trace: say so here rather than let a test wait for its effect.
        if (Ignores(Process.Id, signal))
        {
            throw new InvalidOperationException($"DevServer (pid {Process.Id}) ignores signal {signal}: sending it would do nothing.");
        }
        if (kill(Process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({Process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>
    /// SIGKILL to DevServer and its worker processes, as a crash or an out-of-memory kill of the instance would: no
    /// shutdown, open connections reset, in-flight requests lost. An Azurite it started would be orphaned, so use this
    /// with an Azurite it did not start.
    /// </summary>
    public async Task KillAsync()
    {
        var workers = WorkerProcessIds();
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: false);
        }
        foreach (var pid in workers)
        {
            _ = kill(pid, SigKill);
        }
        await WaitForExitAsync(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The function app's worker processes DevServer runs now: its children whose command line runs
    /// FunctionsChat.Functions.dll (read from /proc, as <c>ps</c> does).
    /// </summary>
    public IReadOnlyList<int> WorkerProcessIds()
    {
        var workers = new List<int>();
        foreach (var folder in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(folder), out var pid))
            {
                continue;
            }
            try
            {
                // stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ')'.
                var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                var parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                var commandLine = File.ReadAllText(Path.Combine(folder, "cmdline")).Split('\0');
                if (parent == Process.Id && commandLine.Any(a => a.EndsWith("FunctionsChat.Functions.dll", StringComparison.Ordinal)))
                {
                    workers.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Gone meanwhile.
            }
        }
        return workers;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            _ = kill(Process.Id, SigTerm);
            try
            {
                await WaitForExitAsync(TimeSpan.FromSeconds(15));
            }
            catch (OperationCanceledException)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }
        }
        Process.Dispose();
    }

    /// <summary>Linux: the signal's bit in SigIgn of /proc/{pid}/status (false where there is no such file).</summary>
    private static bool Ignores(int pid, int signal)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
            return line is not null && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
