using System.Diagnostics;
using System.Text;

namespace FunctionsChat.ContractTests.Support;

/// <summary>The npm tools the repository pins (package.json devDependencies), run from its node_modules.</summary>
public static class NodeTools
{
    public static string Path(string tool)
    {
        var path = System.IO.Path.Combine(Paths.RepoRoot, "node_modules", ".bin", tool);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"{path} is missing: run 'npm ci' at the repository root (scripts/test.sh does).");
        }
        return path;
    }

    /// <summary>
    /// Runs a tool in <paramref name="workingDirectory"/> (the repository root by default) to its end, within a time
    /// limit, and returns its exit code and output.
    /// </summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string tool, IEnumerable<string> arguments, TimeSpan timeout, string? workingDirectory = null)
    {
        var start = new ProcessStartInfo(Path(tool))
        {
            WorkingDirectory = workingDirectory ?? Paths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["NO_COLOR"] = "1";
        using var process = Process.Start(start)!;
        process.StandardInput.Close(); // nothing may wait for a prompt
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', start.ArgumentList)} did not finish within {timeout.TotalSeconds:0} s.\n{await stdout}\n{await stderr}");
        }
        return (process.ExitCode, await stdout, await stderr);
    }
}

/// <summary>
/// A long-running tool (Prism) as a child process with its output captured; disposing ends it and its children.
/// </summary>
public sealed class ToolProcess : IDisposable
{
    private readonly StringBuilder _output = new();

    private ToolProcess(Process process) => Process = process;

    public Process Process { get; }

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

    public static ToolProcess Start(string tool, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo(NodeTools.Path(tool))
        {
            WorkingDirectory = Paths.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        start.Environment["NO_COLOR"] = "1";
        start.Environment["FORCE_COLOR"] = "0";
        var started = new ToolProcess(Process.Start(start)!);
        started.Process.OutputDataReceived += (_, e) => started.Append(e.Data);
        started.Process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        started.Process.BeginOutputReadLine();
        started.Process.BeginErrorReadLine();
        return started;
    }

    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
            Process.WaitForExit(10_000);
        }
        Process.Dispose();
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
}
