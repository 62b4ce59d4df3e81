using System.Text.RegularExpressions;
using Xunit;

namespace FunctionsChat.Tests;

/// <summary>
/// The folders of Functions/ (one namespace each) depend on each other without a circle: a circle means no folder can
/// be read, changed or tested on its own. A folder's dependencies are read from its files' text: their
/// <c>using FunctionsChat.X</c> lines and any name qualified with a folder's namespace.
/// </summary>
public sealed partial class FolderDependencyTests
{
    /// <summary>The folders every other may use; they use no feature folder themselves.</summary>
    private static readonly string[] Leaves = ["Telemetry", "Storage", "Http"];

    [Fact]
    public void NoFolderDependsOnItselfThroughOthers()
    {
        var graph = FolderGraph();
        var cycle = FindCycle(graph);
        Assert.True(cycle is null, $"Folder circle: {Describe(cycle, graph)}");
    }

    [Fact]
    public void LeavesUseNoFeatureFolder()
    {
        var graph = FolderGraph();
        var wrong = Leaves
            .SelectMany(leaf => graph.TryGetValue(leaf, out var uses) ? uses.Where(u => !Leaves.Contains(u.Key)).Select(u => $"{leaf} → {u.Key} ({string.Join(", ", u.Value)})") : [])
            .ToList();
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
    }

    [Fact]
    public void TheGraphSeesKnownDependencies()
    {
        // Guards the reader itself: an empty graph would pass the tests above.
        var graph = FolderGraph();
        Assert.Contains("Storage", graph["Delivery"].Keys);
        Assert.Contains("Delivery", graph["Messages"].Keys);
    }

    [GeneratedRegex(@"^\s*using\s+(?:static\s+)?FunctionsChat\.(\w+)", RegexOptions.Multiline)]
    private static partial Regex UsingLine();

    [GeneratedRegex(@"\bFunctionsChat\.(\w+)\.")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"\b(?:class|record|struct|interface|enum)\s+(\w+)")]
    private static partial Regex Declaration();

    /// <summary>Folder → the folders it uses, each with the files that use it.</summary>
    private static Dictionary<string, Dictionary<string, SortedSet<string>>> FolderGraph()
    {
        var functions = Path.Combine(RepoRoot(), "Functions");
        var files = Directory.EnumerateDirectories(functions)
            .Where(d => Path.GetFileName(d) is not ("bin" or "obj"))
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories).Select(f => (Folder: Path.GetFileName(d), File: f)))
            .Where(f => !f.File.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .Select(f => (f.Folder, Name: Path.GetRelativePath(functions, f.File), Text: File.ReadAllText(f.File)))
            .ToList();
        var folders = files.Select(f => f.Folder).ToHashSet(StringComparer.Ordinal);
        // A name qualified by its folder alone ("Delivery.PollUpdates") resolves from any FunctionsChat namespace.
        var declared = files
            .SelectMany(f => Declaration().Matches(f.Text).Select(m => (f.Folder, Type: m.Groups[1].Value)))
            .GroupBy(d => d.Folder)
            .ToDictionary(g => g.Key, g => g.Select(d => d.Type).ToHashSet(StringComparer.Ordinal));
        var graph = folders.ToDictionary(f => f, _ => new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal), StringComparer.Ordinal);
        foreach (var (folder, name, text) in files)
        {
            var used = UsingLine().Matches(text).Concat(QualifiedName().Matches(text)).Select(m => m.Groups[1].Value)
                .Concat(folders.Where(other => declared.GetValueOrDefault(other, []).Any(type => Regex.IsMatch(text, $@"(?<![\w.]){other}\.{type}\b"))));
            foreach (var other in used.Where(u => u != folder && folders.Contains(u)))
            {
                (graph[folder].TryGetValue(other, out var by) ? by : graph[folder][other] = new SortedSet<string>(StringComparer.Ordinal)).Add(name);
            }
        }
        return graph;
    }

    /// <summary>A circle of folders as a path that starts and ends at the same folder, or null.</summary>
    private static List<string>? FindCycle(Dictionary<string, Dictionary<string, SortedSet<string>>> graph)
    {
        var done = new HashSet<string>(StringComparer.Ordinal);
        var path = new List<string>();
        List<string>? Visit(string folder)
        {
            var at = path.IndexOf(folder);
            if (at >= 0)
            {
                return [.. path.Skip(at), folder];
            }
            if (!done.Add(folder))
            {
                return null;
            }
            path.Add(folder);
            foreach (var next in graph[folder].Keys.Order(StringComparer.Ordinal))
            {
                if (Visit(next) is { } cycle)
                {
                    return cycle;
                }
            }
            path.RemoveAt(path.Count - 1);
            return null;
        }
        return graph.Keys.Order(StringComparer.Ordinal).Select(Visit).FirstOrDefault(c => c is not null);
    }

    private static string Describe(List<string>? cycle, Dictionary<string, Dictionary<string, SortedSet<string>>> graph) =>
        cycle is null ? "none" : string.Join(Environment.NewLine, cycle.Zip(cycle.Skip(1), (from, to) => $"{from} → {to} ({string.Join(", ", graph[from][to])})"));

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FunctionsChat.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("FunctionsChat.sln not found above " + AppContext.BaseDirectory);
    }
}
