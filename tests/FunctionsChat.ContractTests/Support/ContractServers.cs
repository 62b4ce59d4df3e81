namespace FunctionsChat.ContractTests.Support;

/// <summary>
/// Three DevServers with one signing key, so each accepts the others' tokens: one on the shared Azurite, one on storage
/// that is not there (every route answers 503), and one on the shared Azurite with a tiny room capacity and join limit
/// (join's 409 and 429). Prism proxies in front: a strict one (<c>--errors</c>) and a reporting one for the healthy
/// server, a strict one for each of the others.
/// </summary>
public sealed class ContractServers : IAsyncLifetime
{
    /// <summary>Small, so the 429 needs only a few sends.</summary>
    public const int SendLimitPer10Seconds = 5;

    /// <summary>Of the limited server: two members fill a room.</summary>
    public const int MaxMembersPerRoom = 2;

    /// <summary>
    /// Of the limited server: the joins that fill a room, the one it then refuses as full (counted too: the limit is
    /// checked first), and no more, so the next join gets 429.
    /// </summary>
    public const int JoinLimitPerMinute = MaxMembersPerRoom + 1;

    private static readonly TimeSpan AnswerTimeout = TimeSpan.FromSeconds(120);

    public DevServerProcess Healthy { get; private set; } = null!;

    public DevServerProcess WithoutStorage { get; private set; } = null!;

    /// <summary>With <see cref="MaxMembersPerRoom"/> and <see cref="JoinLimitPerMinute"/>; only for join's 409 and 429.</summary>
    public DevServerProcess Limited { get; private set; } = null!;

    /// <summary>--errors, to the healthy server: for requests the document allows.</summary>
    public PrismProxy Strict { get; private set; } = null!;

    /// <summary>No --errors, to the healthy server: for requests that break the document on purpose.</summary>
    public PrismProxy Reporting { get; private set; } = null!;

    /// <summary>--errors, to the server without storage.</summary>
    public PrismProxy StrictWithoutStorage { get; private set; } = null!;

    /// <summary>--errors, to the limited server.</summary>
    public PrismProxy StrictLimited { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        // Notices on, so the journey's history and poll answers carry them through Prism's check of the Message schema.
        var environment = ChatEnvironment.OnSharedAzurite().WithRoomNotices();
        environment["Chat__SendLimitPer10Seconds"] = $"{SendLimitPer10Seconds}";
        var withoutStorage = new Dictionary<string, string>(environment)
        {
            // Ports nothing listens on: every storage call is refused at once. A connection string, not
            // UseDevelopmentStorage, so DevServer does not start an Azurite of its own.
            ["AzureWebJobsStorage"] = StorageNobodyListensOn(),
        };
        var limited = new Dictionary<string, string>(environment)
        {
            ["Chat__MaxMembersPerRoom"] = $"{MaxMembersPerRoom}",
            // OnSharedAzurite lifts the join limit for everyone; this server is where it is reached.
            ["Chat__JoinLimitPerMinute"] = $"{JoinLimitPerMinute}",
        };
        var healthy = DevServerProcess.StartHealthyAsync(environment);
        var limitedHealthy = DevServerProcess.StartHealthyAsync(limited);
        WithoutStorage = DevServerProcess.Start(withoutStorage);
        Healthy = await healthy;
        Limited = await limitedHealthy;
        await WaitUntilAnsweringAsync(WithoutStorage);

        var strict = PrismProxy.StartAsync(Api(Healthy), errors: true);
        var reporting = PrismProxy.StartAsync(Api(Healthy), errors: false);
        var strictWithoutStorage = PrismProxy.StartAsync(Api(WithoutStorage), errors: true);
        var strictLimited = PrismProxy.StartAsync(Api(Limited), errors: true);
        Strict = await strict;
        Reporting = await reporting;
        StrictWithoutStorage = await strictWithoutStorage;
        StrictLimited = await strictLimited;
    }

    public async Task DisposeAsync()
    {
        foreach (var proxy in new[] { Strict, Reporting, StrictWithoutStorage, StrictLimited })
        {
            proxy?.Dispose();
        }
        foreach (var server in new[] { Healthy, WithoutStorage, Limited })
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
