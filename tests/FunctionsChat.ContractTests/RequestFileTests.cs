using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace FunctionsChat.ContractTests;

/// <summary>
/// Part of the contract (issue 12): FunctionsChat.http runs as users run it, with httpyac's own command line against a
/// DevServer, and every request in it gets the status it asserts.
/// </summary>
[Collection(ContractCollection.Name)]
public sealed partial class RequestFileTests(ContractServers servers, ITestOutputHelper output)
{
    private static string RequestFile => Path.Combine(Paths.RepoRoot, "FunctionsChat.http");

    [Fact]
    public async Task HttpyacRunsEveryRequestOfTheRequestFileAndEachGetsTheStatusItAsserts()
    {
        var baseUrl = ContractServers.Api(servers.Healthy).ToString().TrimEnd('/');

        // The command from the file's header, with --json so the result can be read.
        var (exitCode, stdout, stderr) = await NodeTools.RunAsync("httpyac",
            ["send", "FunctionsChat.http", "--all", "--var", $"base={baseUrl}", "--json"], TimeSpan.FromMinutes(2));

        using var report = JsonDocument.Parse(stdout);
        var requests = report.RootElement.GetProperty("requests").EnumerateArray().ToList();
        var results = requests.Select(r => (
            Name: r.GetProperty("name").GetString(),
            Status: r.TryGetProperty("response", out var response) ? response.GetProperty("statusCode").GetInt32() : 0,
            Tests: r.GetProperty("testResults").EnumerateArray().Select(t => (Message: t.GetProperty("message").GetString(), Result: t.GetProperty("status").GetString())).ToList()))
            .ToList();
        var failed = results.Where(r => r.Tests.Count == 0 || r.Tests.Any(t => t.Result != "SUCCESS"))
            .Select(r => $"{r.Name}: HTTP {r.Status}; {(r.Tests.Count == 0 ? "asserts nothing" : string.Join("; ", r.Tests.Select(t => $"{t.Message} {t.Result}")))}")
            .ToList();
        output.WriteLine(string.Join("\n", results.Select(r => $"{r.Status} {r.Name}: {string.Join("; ", r.Tests.Select(t => $"{t.Message} {t.Result}"))}")));
        Assert.True(failed.Count == 0, "Requests that did not pass:\n" + string.Join("\n", failed));
        Assert.Equal(RequestLines().Count, results.Count);
        Assert.True(exitCode == 0, $"httpyac exited with {exitCode}\n{stderr}");
        var summary = report.RootElement.GetProperty("summary");
        Assert.Equal(results.Count, summary.GetProperty("successRequests").GetInt32());
        Assert.Equal(0, summary.GetProperty("failedTests").GetInt32() + summary.GetProperty("erroredTests").GetInt32());
    }

    [Fact]
    public void TheRequestFileHasOneRequestForEachOperationOfTheDocument()
    {
        var inFile = RequestLines().Select(line => $"{line.Method} {line.Path}").Order(StringComparer.Ordinal).ToList();

        var documented = OpenApiDocument.Operations().Select(o => $"{o.Method} {o.Path}").Order(StringComparer.Ordinal).ToList();

        Assert.Equal(documented, inFile);
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

    [GeneratedRegex(@"\{\{(?<name>[\w.]+)\}\}")]
    private static partial Regex Placeholder();
}
