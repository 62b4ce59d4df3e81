namespace FunctionsChat.ContractTests.Support;

/// <summary>
/// Stoplight Prism's validation proxy (<c>prism proxy docs/openapi.yaml {upstream}</c>) in front of one DevServer. A
/// request to <c>{proxy}/rooms/lobby/members</c> is checked against the document, forwarded to
/// <c>{upstream}/rooms/lobby/members</c> (the upstream is DevServer's <c>…/api</c>, as the document's server is
/// <c>{origin}/api</c>), and the answer checked on its way back. Prism puts what it found in an <c>sl-violations</c>
/// header. With <c>--errors</c> it also refuses to forward a request that breaks the document (422, or 401 for a missing
/// token, answered by Prism itself) and turns an answer that breaks it into a 500; without, it forwards everything.
/// </summary>
public sealed class PrismProxy : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly ToolProcess _prism;

    private PrismProxy(ToolProcess prism, Uri baseAddress, bool errors)
    {
        _prism = prism;
        BaseAddress = baseAddress;
        Errors = errors;
    }

    public Uri BaseAddress { get; }

    /// <summary>Started with <c>--errors</c>.</summary>
    public bool Errors { get; }

    public string Output => _prism.Output;

    public static async Task<PrismProxy> StartAsync(Uri upstreamApi, bool errors)
    {
        var port = FreePorts.One();
        string[] arguments =
        [
            "proxy", Path.Combine("docs", "openapi.yaml"), upstreamApi.ToString().TrimEnd('/'),
            .. errors ? new[] { "--errors" } : [],
            "--port", $"{port}", "--host", "127.0.0.1",
        ];
        var prism = ToolProcess.Start("prism", arguments);
        var proxy = new PrismProxy(prism, new Uri($"http://127.0.0.1:{port}/"), errors);
        var deadline = DateTime.UtcNow + StartTimeout;
        while (!prism.Output.Contains($"Prism is listening on http://127.0.0.1:{port}", StringComparison.Ordinal))
        {
            if (prism.Process.HasExited || DateTime.UtcNow > deadline)
            {
                var why = prism.Process.HasExited ? $"exited with {prism.Process.ExitCode}" : $"did not listen within {StartTimeout.TotalSeconds:0} s";
                proxy.Dispose();
                throw new InvalidOperationException($"prism {string.Join(' ', arguments)} {why}:\n{prism.Output}");
            }
            await Task.Delay(100);
        }
        return proxy;
    }

    public void Dispose() => _prism.Dispose();
}
