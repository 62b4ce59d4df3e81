namespace FunctionsChat.ContractTests.Support;

/// <summary>
/// Two DevServers with one signing key, so each accepts the other's tokens: one on the shared Azurite, one on storage
/// that is not there (every route answers 503). Prism proxies in front: a strict one (<c>--errors</c>) and a reporting
/// one for the healthy server, a strict one for the other.
/// </summary>
public sealed class ContractServers : IAsyncLifetime
{
    /// <summary>Small, so the 429 needs only a few sends.</summary>
    public const int SendLimitPer10Seconds = 5;

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(120);

    public DevServerProcess Healthy { get; private set; } = null!;

    public DevServerProcess WithoutStorage { get; private set; } = null!;

    /// <summary>--errors, to the healthy server: for requests the document allows.</summary>
    public PrismProxy Strict { get; private set; } = null!;

    /// <summary>No --errors, to the healthy server: for requests that break the document on purpose.</summary>
    public PrismProxy Reporting { get; private set; } = null!;

    /// <summary>--errors, to the server without storage.</summary>
    public PrismProxy StrictWithoutStorage { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["Chat__SendLimitPer10Seconds"] = $"{SendLimitPer10Seconds}";
        var withoutStorage = new Dictionary<string, string>(environment)
        {
            // Ports nothing listens on: every storage call is refused at once. A connection string, not
            // UseDevelopmentStorage, so DevServer does not start an Azurite of its own.
            ["AzureWebJobsStorage"] = StorageNobodyListensOn(),
        };
        var healthy = DevServerProcess.StartHealthyAsync(environment);
        WithoutStorage = DevServerProcess.Start(withoutStorage);
        Healthy = await healthy;
        await WaitUntilAnsweringAsync(WithoutStorage);

        var strict = PrismProxy.StartAsync(Api(Healthy), errors: true);
        var reporting = PrismProxy.StartAsync(Api(Healthy), errors: false);
        var strictWithoutStorage = PrismProxy.StartAsync(Api(WithoutStorage), errors: true);
        Strict = await strict;
        Reporting = await reporting;
        StrictWithoutStorage = await strictWithoutStorage;
    }

    public async Task DisposeAsync()
    {
        foreach (var proxy in new[] { Strict, Reporting, StrictWithoutStorage })
        {
            proxy?.Dispose();
        }
        foreach (var server in new[] { Healthy, WithoutStorage })
        {
            if (server is not null)
            {
                await server.DisposeAsync();
            }
        }
    }

    /// <summary>DevServer's API root, where the document's server URL <c>{origin}/api</c> points.</summary>
    public static Uri Api(DevServerProcess server) => new(server.BaseAddress, "api");

    private static string StorageNobodyListensOn()
    {
        // Azurite's well-known development account key: not a secret.
        const string key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        return $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={key};" +
            $"BlobEndpoint=http://127.0.0.1:{FreePorts.One()}/devstoreaccount1;" +
            $"QueueEndpoint=http://127.0.0.1:{FreePorts.One()}/devstoreaccount1;" +
            $"TableEndpoint=http://127.0.0.1:{FreePorts.One()}/devstoreaccount1;";
    }

    /// <summary>Until /api/health answers at all (503 here: its storage is not there).</summary>
    private static async Task WaitUntilAnsweringAsync(DevServerProcess server)
    {
        using var http = new HttpClient { BaseAddress = server.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow + AnswerTimeout;
        while (true)
        {
            if (server.Process.HasExited)
            {
                server.Process.WaitForExit();
                throw new InvalidOperationException($"DevServer without storage exited with {server.Process.ExitCode}:\n{server.Output}");
            }
            try
            {
                using var response = await http.GetAsync("api/health");
                return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"DevServer without storage did not answer within {AnswerTimeout.TotalSeconds:0} s:\n{server.Output}");
            }
            await Task.Delay(200);
        }
    }
}

/// <summary>The contract tests share the servers and run one after another (2 cores, and each starts processes).</summary>
[CollectionDefinition(Name)]
public sealed class ContractCollection : ICollectionFixture<ContractServers>
{
    public const string Name = "Contract: DevServers behind Prism";
}
