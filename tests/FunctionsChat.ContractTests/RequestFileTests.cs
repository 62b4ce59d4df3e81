using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace FunctionsChat.ContractTests;

/// <summary>
/// FunctionsChat.http runs in Visual Studio, VS Code's REST Client and httpyac alike (issue 19): it uses only the syntax
/// the three share, and the status each request must get is in its title, a comment all three ignore. The test
/// command runs it with httpyac's own command line against a DevServer and holds every answer to its title.
/// </summary>
[Collection(ContractCollection.Name)]
public sealed partial class RequestFileTests(ContractServers servers, ITestOutputHelper output)
{
    private static string RequestFile => Path.Combine(Paths.RepoRoot, "FunctionsChat.http");

    [Fact]
    public async Task HttpyacRunsEveryRequestOfTheRequestFileAndEachGetsTheStatusItsTitleNames()
    {
        var baseUrl = ContractServers.Api(servers.Healthy).ToString().TrimEnd('/');
        // The file as it is, but for the @base line (a file variable wins over httpyac's --var, as in the editors), next
        // to the .httpyac.js that teaches httpyac the editors' request variables.
        var folder = Directory.CreateTempSubdirectory("functionschat-http-");
        File.Copy(Path.Combine(Paths.RepoRoot, ".httpyac.js"), Path.Combine(folder.FullName, ".httpyac.js"));
        var copy = Path.Combine(folder.FullName, "FunctionsChat.http");
        var lines = File.ReadAllLines(RequestFile);
        var baseLine = Array.FindIndex(lines, line => line.StartsWith("@base = ", StringComparison.Ordinal));
        Assert.True(baseLine >= 0, "FunctionsChat.http has no '@base = ...' line.");
        lines[baseLine] = $"@base = {baseUrl}";
        await File.WriteAllLinesAsync(copy, lines);

        try
        {
            var (exitCode, stdout, stderr) = await NodeTools.RunAsync("httpyac", ["send", "FunctionsChat.http", "--all", "--json"], TimeSpan.FromMinutes(2), folder.FullName);

            using var report = JsonDocument.Parse(stdout);
            var results = report.RootElement.GetProperty("requests").EnumerateArray().Select(r => (
                Name: r.GetProperty("name").GetString()!,
                Status: r.TryGetProperty("response", out var response) ? response.GetProperty("statusCode").GetInt32() : 0))
                .ToList();
            var expected = ExpectedStatuses();
            output.WriteLine(string.Join("\n", results.Select(r => $"{r.Status} {r.Name}")));
            Assert.Equal(expected.Select(e => e.Name), results.Select(r => r.Name));
            Assert.Equal(expected.Select(e => $"{e.Name} {e.Status}"), results.Select(r => $"{r.Name} {r.Status}"));
            Assert.True(exitCode == 0, $"httpyac exited with {exitCode}\n{stderr}");
            Assert.Equal(results.Count, report.RootElement.GetProperty("summary").GetProperty("successRequests").GetInt32());
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void TheRequestFileHasARequestForEachOperationOfTheDocument()
    {
        var inFile = RequestLines().Select(line => $"{line.Method} {line.Path}").Distinct().Order(StringComparer.Ordinal).ToList();

        var documented = OpenApiDocument.Operations().Select(o => $"{o.Method} {o.Path}").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(documented, inFile);
    }

    [Fact]
    public void TheRequestFileUsesOnlySyntaxThatVisualStudioRestClientAndHttpyacShare()
    {
        var lines = File.ReadAllLines(RequestFile);

        // httpyac's assertions (??), scripts ({{ }} blocks, > {% %} handlers) and its other # @ directives are
        // unknown to the other two; REST Client would send an assertion line as part of the body.
        Assert.DoesNotContain(lines, line => line.TrimStart().StartsWith("??", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, line => line.TrimStart().StartsWith("{{", StringComparison.Ordinal) || line.Contains("{%", StringComparison.Ordinal));
        Assert.All(lines.Where(line => Directive().IsMatch(line)), line => Assert.Matches(@"^# @name [a-z]+$", line));
        // Variables: file variables, or a named request's answer read by JSONPath.
        var fileVariables = lines.Select(line => FileVariable().Match(line)).Where(m => m.Success).Select(m => m.Groups["name"].Value).ToHashSet();
        var requestNames = lines.Select(line => Regex.Match(line, @"^# @name (?<name>\w+)$")).Where(m => m.Success).Select(m => m.Groups["name"].Value).ToHashSet();
        Assert.Contains("base", fileVariables);
        foreach (Match use in Placeholder().Matches(string.Join("\n", lines)))
        {
            var name = use.Groups["name"].Value;
            var reference = RequestVariable().Match(name);
            Assert.True(fileVariables.Contains(name) || (reference.Success && requestNames.Contains(reference.Groups["request"].Value)),
                $"{{{{{name}}}}} is neither a file variable nor a named request's response.body.$.property");
        }
        Assert.Equal(RequestLines().Count, ExpectedStatuses().Count);
    }

    /// <summary>Each request's name and the status its title ends with ("### Join ... -> 201").</summary>
    private static List<(string Name, int Status)> ExpectedStatuses()
    {
        var lines = File.ReadAllLines(RequestFile);
        var expected = new List<(string, int)>();
        for (var i = 0; i < lines.Length; i++)
        {
            var title = Title().Match(lines[i]);
            if (!title.Success)
            {
                continue;
            }
            var name = Regex.Match(lines[i + 1], @"^# @name (?<name>\w+)$");
            Assert.True(name.Success, $"The request titled '{lines[i]}' has no '# @name' on the next line.");
            expected.Add((name.Groups["name"].Value, int.Parse(title.Groups["status"].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }
        return expected;
    }

    /// <summary>Each request line, as method and the document's path template ({{room}} becomes {room}, no query).</summary>
    private static List<(string Method, string Path)> RequestLines() =>
        File.ReadLines(RequestFile)
            .Select(line => RequestLine().Match(line))
            .Where(match => match.Success)
            .Select(match => (match.Groups["method"].Value.ToLowerInvariant(),
                Placeholder().Replace(match.Groups["path"].Value, p => "{" + p.Groups["name"].Value.Split('.')[^1] + "}")))
            .ToList();

    [GeneratedRegex(@"^(?<method>GET|POST|PUT|PATCH|DELETE) \{\{base\}\}(?<path>[^?\s]*)")]
    private static partial Regex RequestLine();

    [GeneratedRegex(@"\{\{(?<name>[\w.$]+)\}\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"^(?<request>\w+)\.response\.body\.\$\.\w+$")]
    private static partial Regex RequestVariable();

    [GeneratedRegex(@"^@(?<name>\w+) = \S")]
    private static partial Regex FileVariable();

    [GeneratedRegex(@"^\s*#\s*@")]
    private static partial Regex Directive();

    [GeneratedRegex(@"^### .* -> (?<status>[1-5][0-9]{2})$")]
    private static partial Regex Title();
}
