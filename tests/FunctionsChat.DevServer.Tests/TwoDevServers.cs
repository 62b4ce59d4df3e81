namespace FunctionsChat.DevServer.Tests;

/// <summary>
/// Two DevServer instances on the shared Azurite (10000-10002) with one signing key. Started one after the other: if
/// no Azurite runs yet, A starts it and B uses it; disposing B first then A stops it again.
/// </summary>
public sealed class TwoDevServers : IAsyncLifetime
{
    public DevServerProcess A { get; private set; } = null!;

    public DevServerProcess B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        A = await DevServerProcess.StartHealthyAsync(environment);
        B = await DevServerProcess.StartHealthyAsync(environment);
    }

    public async Task DisposeAsync()
    {
        if (B is not null)
        {
            await B.DisposeAsync();
        }
        if (A is not null)
        {
            await A.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class TwoDevServersCollection : ICollectionFixture<TwoDevServers>
{
    public const string Name = "Two DevServers on Azurite";
}
