using System.Diagnostics;

namespace FunctionsChat.DevServer.Workers;

/// <summary>
/// One language-worker process, started as the Functions host starts it: the executable and worker path of
/// worker.config.json, both forms of the gRPC arguments, the app folder as working folder, and an environment of
/// the host's variables plus the app settings.
/// </summary>
public sealed class WorkerProcess : IAsyncDisposable
{
    private const int MaxMessageLength = int.MaxValue;
    private const string UnhandledPrefix = "Unhandled exception. ";

    // Settings that would make the worker's own ASP.NET Core server listen where DevServer does.
    private static readonly string[] HostOnlyVariables = ["ASPNETCORE_URLS", "DOTNET_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_HTTPS_PORTS", "DOTNET_HTTP_PORTS", "DOTNET_HTTPS_PORTS"];

    private readonly Process _process;
    private readonly ILogger _logger;

    private WorkerProcess(Process process, ILogger logger)
    {
        _process = process;
        _logger = logger;
        Id = process.Id;
        Exited = RecordExitAsync();
    }

    public int Id { get; }

    /// <summary>Completes when the process has exited, for whatever reason.</summary>
    public Task Exited { get; }

    public int? ExitCode { get; private set; }

    /// <summary>The first line of an unhandled exception the worker printed, when it crashed with one.</summary>
    public string? CrashReason { get; private set; }

    private async Task RecordExitAsync()
    {
        await _process.WaitForExitAsync();
        ExitCode = _process.ExitCode;
    }

    public static WorkerProcess Start(FunctionApp app, Uri rpcUri, string workerId, IReadOnlyDictionary<string, string> appSettings, ILogger logger)
    {
        var start = new ProcessStartInfo(app.Executable)
        {
            WorkingDirectory = app.Directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var requestId = Guid.NewGuid().ToString();
        string[] arguments =
        [
            app.WorkerPath,
            "--host", rpcUri.Host, "--port", $"{rpcUri.Port}", "--workerId", workerId, "--requestId", requestId,
            "--grpcMaxMessageLength", $"{MaxMessageLength}",
            "--functions-uri", rpcUri.ToString(), "--functions-worker-id", workerId, "--functions-request-id", requestId,
            "--functions-grpc-max-message-length", $"{MaxMessageLength}",
        ];
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (var name in HostOnlyVariables)
        {
            start.Environment.Remove(name);
        }
        foreach (var (name, value) in appSettings)
        {
            start.Environment[name] = value;
        }
        // The host knows the runtime from worker.config.json, whether or not the app settings name it.
        if (!start.Environment.ContainsKey("FUNCTIONS_WORKER_RUNTIME"))
        {
            start.Environment["FUNCTIONS_WORKER_RUNTIME"] = app.Language;
        }
        start.Environment["FUNCTIONS_WORKER_DIRECTORY"] = app.Directory;
        start.Environment["FUNCTIONS_APPLICATION_DIRECTORY"] = app.Directory;
        // Each worker is an instance of its own to telemetry (as each Azure instance is): without it, the workers'
        // cumulative counters share one resource and overwrite each other in any collector, /_dev/metrics included.
        var resource = start.Environment.TryGetValue("OTEL_RESOURCE_ATTRIBUTES", out var set) && !string.IsNullOrEmpty(set) ? set + "," : "";
        if (!resource.Contains("service.instance.id=", StringComparison.Ordinal))
        {
            start.Environment["OTEL_RESOURCE_ATTRIBUTES"] = $"{resource}service.instance.id={workerId}";
        }
        var process = Process.Start(start) ?? throw new DevServerException($"Could not start {app.Executable} {app.WorkerPath}.");
        var worker = new WorkerProcess(process, logger);
        // The worker logs over gRPC; what reaches its console is start-up noise (debug) or a crash, printed as it
        // came, the way func start shows a worker's output.
        process.OutputDataReceived += (_, e) => { if (e.Data is { Length: > 0 }) logger.LogDebug("{Line}", e.Data); };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { Length: > 0 } line)
            {
                Console.Error.WriteLine($"[worker {process.Id}] {line}");
                if (worker.CrashReason is null && line.StartsWith(UnhandledPrefix, StringComparison.Ordinal))
                {
                    // "Unhandled exception. Some.Exception: message": the message is what a person can act on.
                    var text = line[UnhandledPrefix.Length..];
                    var colon = text.IndexOf(": ", StringComparison.Ordinal);
                    worker.CrashReason = colon > 0 ? text[(colon + 2)..] : text;
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>Waits up to <paramref name="grace"/> for the process to exit by itself, then kills it.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        try
        {
            await Exited.WaitAsync(grace);
        }
        catch (TimeoutException)
        {
            _logger.LogWarning("Worker process {Pid} did not exit within {Seconds} s; killing it.", Id, grace.TotalSeconds);
            Kill();
            await Exited;
        }
    }

    /// <summary>Working set, the OS's peak working set and CPU time now; null once the process is gone.</summary>
    public (long WorkingSet, long Peak, double CpuSeconds)? Sample()
    {
        try
        {
            _process.Refresh();
            return _process.HasExited ? null : (_process.WorkingSet64, _process.PeakWorkingSet64, _process.TotalProcessorTime.TotalSeconds);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            Kill();
            await Exited;
        }
        _process.Dispose();
    }
}
