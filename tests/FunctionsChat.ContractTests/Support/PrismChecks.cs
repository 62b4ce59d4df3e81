using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace FunctionsChat.ContractTests.Support;

/// <summary>A finding of Prism, from its <c>sl-violations</c> header: where (request… or response…), how bad, what.</summary>
public sealed record Violation(string Location, string Severity, string Code, string Message)
{
    public override string ToString() => $"{Severity} at {Location} ({Code}): {Message}";
}

/// <summary>What came back through Prism.</summary>
public sealed record Checked(int Status, JsonElement? Json, HttpResponseHeaders Headers, IReadOnlyList<Violation> Violations)
{
    public JsonElement Body => Json ?? throw new InvalidOperationException($"HTTP {Status} had no JSON body.");

    public string Header(string name) => Headers.TryGetValues(name, out var values) ? string.Join(",", values) : "";
}

/// <summary>
/// Sends requests through Prism and asserts on each: the expected status, that the answer is the product's (Prism's
/// own answers lack its nosniff header), and exactly the violations Prism should find: none for a request the
/// document allows, only the intended request violations for one that breaks it, and never one about the answer.
/// Counts every checked exchange and which documented (operation, status) pairs they covered.
/// </summary>
public sealed class PrismChecks(IReadOnlyList<DocumentedOperation> documented) : IDisposable
{
    private readonly Dictionary<Uri, HttpClient> _clients = [];
    private readonly List<string> _log = [];

    public HashSet<(string OperationId, int Status)> Covered { get; } = [];

    public int Count => _log.Count;

    public IReadOnlyList<string> Log => _log;

    /// <summary>A request the document allows, through a proxy with --errors: Prism must forward it and find nothing.</summary>
    public async Task<Checked> AllowedAsync(PrismProxy proxy, string operationId, HttpMethod method, string path, int expectedStatus, string? token = null, string? json = null)
    {
        Assert.True(proxy.Errors, "requests the document allows go through a proxy started with --errors");
        var result = await SendAsync(proxy, method, path, token, json);
        var what = $"{method} {path} ({operationId}, expected {expectedStatus})";
        Assert.True(result.Violations.Count == 0, $"{what}: Prism found\n{string.Join("\n", result.Violations)}\nand answered {Describe(result)}");
        AssertProductAnswered(operationId, result, expectedStatus, what);
        Record(proxy, operationId, method, path, result);
        return result;
    }

    /// <summary>
    /// A request that breaks the document on purpose, through a proxy without --errors (with it, Prism would answer
    /// itself and the product's answer would go unchecked): Prism must report exactly the violations at
    /// <paramref name="violatedAt"/> (such as request.path.room) and nothing about the product's answer.
    /// </summary>
    public async Task<Checked> ForbiddenAsync(PrismProxy proxy, string operationId, HttpMethod method, string path, int expectedStatus, string[] violatedAt, string? token = null, string? json = null)
    {
        Assert.False(proxy.Errors, "requests that break the document go through a proxy without --errors");
        var result = await SendAsync(proxy, method, path, token, json);
        var what = $"{method} {path} ({operationId}, expected {expectedStatus} and violations at {string.Join(", ", violatedAt)})";
        var aboutTheAnswer = result.Violations.Where(v => !v.Location.StartsWith("request", StringComparison.Ordinal)).ToList();
        Assert.True(aboutTheAnswer.Count == 0, $"{what}: Prism found in the answer\n{string.Join("\n", aboutTheAnswer)}\n{Describe(result)}");
        // Prism lower-cases path parameter names (request.path.userid).
        var locations = result.Violations.Select(v => v.Location.ToLowerInvariant()).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.True(locations.SequenceEqual(violatedAt.Select(l => l.ToLowerInvariant()).Order(StringComparer.Ordinal)),
            $"{what}: Prism reported\n{string.Join("\n", result.Violations)}");
        AssertProductAnswered(operationId, result, expectedStatus, what);
        Record(proxy, operationId, method, path, result);
        return result;
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }

    private void Record(PrismProxy proxy, string operationId, HttpMethod method, string path, Checked result)
    {
        Covered.Add((operationId, result.Status));
        _log.Add($"{(proxy.Errors ? "strict   " : "reporting")} {result.Status} {operationId,-12} {method} {Clip(path)}");
    }

    private void AssertProductAnswered(string operationId, Checked result, int expectedStatus, string what)
    {
        Assert.True(result.Status == expectedStatus, $"{what}: {Describe(result)}");
        // Prism matches a status the operation does not list to its 4XX range (the web server's own bodiless
        // refusals) and so finds nothing wrong: the function's answers must each be listed by their own code.
        var operation = documented.SingleOrDefault(o => o.OperationId == operationId)
            ?? throw new InvalidOperationException($"The document has no operation {operationId}.");
        Assert.True(operation.Statuses.Contains(result.Status),
            $"{what}: HTTP {result.Status} is not among the answers the document lists for {operationId} ({string.Join(", ", operation.Statuses)})");
        // Every answer of the API says nosniff; Prism's own answers (its 401, 422 and 500) do not.
        Assert.True(result.Header("X-Content-Type-Options") == "nosniff", $"{what}: not the product's answer: {Describe(result)}");
        if (expectedStatus >= 400)
        {
            Assert.Equal(expectedStatus, result.Body.GetProperty("status").GetInt32());
        }
    }

    private async Task<Checked> SendAsync(PrismProxy proxy, HttpMethod method, string path, string? token, string? json)
    {
        if (!_clients.TryGetValue(proxy.BaseAddress, out var http))
        {
            http = new HttpClient { BaseAddress = proxy.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
            _clients[proxy.BaseAddress] = http;
        }
        using var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", token.Contains(' ', StringComparison.Ordinal) ? token : $"Bearer {token}");
        }
        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        }
        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        JsonElement? body = null;
        if (bytes.Length > 0 && response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true)
        {
            body = JsonSerializer.Deserialize<JsonElement>(bytes);
        }
        var violations = response.Headers.TryGetValues("sl-violations", out var values) ? Parse(string.Join(",", values)) : [];
        return new Checked((int)response.StatusCode, body, response.Headers, violations);
    }

    private static List<Violation> Parse(string header)
    {
        if (!header.StartsWith('['))
        {
            // Prism cuts a long list and says "Too many violations! [..."; that alone is a finding.
            return [new Violation("?", "Error", "truncated", header)];
        }
        using var document = JsonDocument.Parse(header);
        return document.RootElement.EnumerateArray().Select(v => new Violation(
            string.Join('.', v.GetProperty("location").EnumerateArray().Select(l => l.ToString())),
            v.GetProperty("severity").ToString(),
            v.TryGetProperty("code", out var code) ? code.ToString() : "",
            v.GetProperty("message").GetString() ?? "")).ToList();
    }

    private static string Describe(Checked result) =>
        $"HTTP {result.Status} {Clip(result.Json?.GetRawText() ?? "(no JSON body)")}";

    private static string Clip(string text) => text.Length <= 200 ? text : text[..200] + "…";
}
