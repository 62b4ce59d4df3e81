namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>
/// One DevServer on the shared Azurite (127.0.0.1:10000-10002) for the tests that do not break the server itself:
/// dropped long polls, fuzzing, the token matrix and the headers. The send limit is lifted (and the join limit, by
/// ChatEnvironment) so the fuzzer is not throttled (429 is tested by the unit tests), and one origin is allowed
/// cross-origin for the CORS test.
/// </summary>
public sealed class SharedServer : IAsyncLifetime
{
    public const string AllowedOrigin = "http://allowed.example";

    public DevServerProcess Server { get; private set; } = null!;

    public Uri BaseAddress => Server.BaseAddress;

    public async Task InitializeAsync()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["Chat__SendLimitPer10Seconds"] = "10000";
        environment["DevServer__CorsOrigins"] = AllowedOrigin;
        Server = await DevServerProcess.StartHealthyAsync(environment);
    }

    public async Task DisposeAsync()
    {
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

/// <summary>
/// Every test of this project runs in this one collection, one at a time: they start servers, kill them and stop
/// storage, and a 2-core machine gives no honest timings to tests that run beside each other.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ReliabilityCollection : ICollectionFixture<Browser>, ICollectionFixture<SharedServer>
{
    public const string Name = "Reliability: one at a time";
}
