using System.Diagnostics;
using System.Globalization;

namespace FunctionsChat.DevServer.Workers;

/// <summary>
/// The worker processes a DevServer runs, written down in <c>.devdata/workers/devserver-{pid}.pids</c>: when a
/// DevServer is killed (SIGKILL, a closed terminal), its workers keep running and holding their ports, and the next
/// DevServer on this clone finds them here and stops them. Every line is "role pid startTicks"; the start time tells a
/// process from a later one that was given the same pid, so nothing but our own leftovers is ever stopped. Files of
/// DevServers that are still running (a second instance, a test's) are left alone.
/// </summary>
public sealed class WorkerPidFile : IDisposable
{
    public const string FolderSetting = "DevServer:WorkerPidFolder";
    private const string Extension = ".pids";

    private readonly string _file;
    private readonly string _owner;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, long> _workers = [];

    private WorkerPidFile(string file, string owner)
    {
        _file = file;
        _owner = owner;
    }

    /// <summary>The folder from <see cref="FolderSetting"/>, else <c>.devdata/workers</c> of the clone.</summary>
    public static string FolderFor(IConfiguration configuration, string? repoRoot) =>
        configuration[FolderSetting] is { Length: > 0 } folder ? folder : Path.Combine(repoRoot ?? Environment.CurrentDirectory, ".devdata", "workers");

    /// <summary>Starts this DevServer's file, naming only itself until workers are added.</summary>
    public static WorkerPidFile Create(string folder)
    {
        Directory.CreateDirectory(folder);
        var self = Process.GetCurrentProcess();
        var pidFile = new WorkerPidFile(Path.Combine(folder, $"devserver-{self.Id}{Extension}"), Line("devserver", self.Id, StartTicks(self)));
        pidFile.Write();
        return pidFile;
    }

    public void Add(int pid)
    {
        lock (_gate)
        {
            if (StartTicksOf(pid) is { } ticks)
            {
                _workers[pid] = ticks;
                Write();
            }
        }
    }

    public void Remove(int pid)
    {
        lock (_gate)
        {
            if (_workers.Remove(pid))
            {
                Write();
            }
        }
    }

    /// <summary>A clean stop: the workers are stopped already, so there is nothing left to find.</summary>
    public void Dispose() => File.Delete(_file);

    /// <summary>
    /// Stops the workers of every DevServer in <paramref name="folder"/> that is no longer running and removes its file.
    /// Returns the one line to print when it stopped any, else null.
    /// </summary>
    public static string? StopLeftovers(string folder)
    {
        if (!Directory.Exists(folder))
        {
            return null;
        }
        var stopped = new List<int>();
        var owners = new List<int>();
        foreach (var file in Directory.EnumerateFiles(folder, "devserver-*" + Extension))
        {
            var entries = Read(file);
            var owner = entries.FirstOrDefault(e => e.Role == "devserver");
            if (owner is null || IsRunning(owner.Pid, owner.StartTicks))
            {
                continue;
            }
            var workers = entries.Where(e => e.Role == "worker" && IsRunning(e.Pid, e.StartTicks)).ToList();
            foreach (var worker in workers)
            {
                Stop(worker.Pid);
                stopped.Add(worker.Pid);
            }
            if (workers.Count > 0)
            {
                owners.Add(owner.Pid);
            }
            File.Delete(file);
        }
        return stopped.Count == 0
            ? null
            : $"Stopped {stopped.Count} worker process{(stopped.Count == 1 ? "" : "es")} (pid {string.Join(", ", stopped)}) left over from " +
              $"a DevServer that was killed (pid {string.Join(", ", owners)}).";
    }

    private void Write()
    {
        var lines = new[] { _owner }.Concat(_workers.Select(w => Line("worker", w.Key, w.Value)));
        // Written whole and moved into place, so a DevServer starting meanwhile never reads half a file.
        var temp = $"{_file}.{Guid.NewGuid():N}.tmp";
        File.WriteAllLines(temp, lines);
        File.Move(temp, _file, overwrite: true);
    }

    private static string Line(string role, int pid, long startTicks) => string.Create(CultureInfo.InvariantCulture, $"{role} {pid} {startTicks}");

    private sealed record Entry(string Role, int Pid, long StartTicks);

    private static List<Entry> Read(string file)
    {
        try
        {
            return [.. File.ReadAllLines(file)
                .Select(line => line.Split(' '))
                .Where(parts => parts.Length == 3 && int.TryParse(parts[1], CultureInfo.InvariantCulture, out _) && long.TryParse(parts[2], CultureInfo.InvariantCulture, out _))
                .Select(parts => new Entry(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture), long.Parse(parts[2], CultureInfo.InvariantCulture)))];
        }
        catch (IOException)
        {
            return []; // removed meanwhile by another DevServer starting at the same time
        }
    }

    private static bool IsRunning(int pid, long startTicks) => StartTicksOf(pid) == startTicks;

    private static long? StartTicksOf(int pid)
    {
        if (IsZombie(pid))
        {
            return null; // exited, only not yet reaped (an orphan in a container whose init does not reap)
        }
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited ? null : StartTicks(process);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null; // no such process, or not ours to look at
        }
    }

    /// <summary>Linux: state Z in /proc/{pid}/stat, read after the last ')' since the name may hold anything.</summary>
    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat.Length > stat.LastIndexOf(')') + 2 && stat[stat.LastIndexOf(')') + 2] == 'Z';
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // no /proc (not Linux), or the process is gone, which the caller finds out itself
        }
    }

    /// <summary>
    /// When the process started, the same every time it is read: on Linux the start time field of /proc/{pid}/stat
    /// (clock ticks since boot; Process.StartTime is derived from the clock now and drifts between reads), elsewhere
    /// Process.StartTime to the second.
    /// </summary>
    private static long StartTicks(Process process)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{process.Id}/stat");
            return long.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return process.StartTime.ToUniversalTime().Ticks / TimeSpan.TicksPerSecond;
        }
    }

    private static void Stop(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
            process.WaitForExit(TimeSpan.FromSeconds(5));
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Gone by itself meanwhile.
        }
    }
}
