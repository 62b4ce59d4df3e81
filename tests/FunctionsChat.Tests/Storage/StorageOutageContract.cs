using System.Diagnostics;
using FunctionsChat.Storage;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Tests.Fakes;

namespace FunctionsChat.Tests.Storage;

/// <summary>One set of the four storage ports, all on the same storage.</summary>
public sealed record StoragePorts(IMessageHistory History, IMemberStore Members, IInboxes Inboxes, IStorageProbe Probe);

/// <summary>
/// The probe answers while storage is up, and every call of every port reports unreachable storage as
/// <see cref="StorageUnavailableException"/> (the API's 503), never as some other failure (a 500).
/// </summary>
public abstract class StorageOutageContract
{
    private readonly CancellationTokenSource timeout = new(TestData.TestTimeout);

    protected CancellationToken Token => timeout.Token;

    /// <summary>Ports on storage that answers.</summary>
    protected abstract StoragePorts Reachable { get; }

    /// <summary>Ports on storage that cannot be reached.</summary>
    protected abstract StoragePorts Unreachable { get; }

    [Fact]
    public async Task TheProbeSucceedsWhileStorageIsReachable()
    {
        await Reachable.Probe.CheckAsync(Token);
    }

    [Fact]
    public async Task TheProbeThrowsStorageUnavailableWhenStorageCannotBeReached()
    {
        await Assert.ThrowsAsync<StorageUnavailableException>(() => Unreachable.Probe.CheckAsync(Token));
    }

    [Fact]
    public async Task EveryHistoryCallThrowsStorageUnavailableWhenStorageCannotBeReached()
    {
        var history = Unreachable.History;
        var message = TestData.Messages(TestData.Room(), 1)[0];

        await Assert.ThrowsAsync<StorageUnavailableException>(() => history.AppendAsync(message, null, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => history.AppendAsync(message, "key", Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => history.QueryAsync(message.Room, new HistoryQuery(null, null, 10), Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => history.QueryAsync(message.Room, new HistoryQuery(message.Id, null, 10), Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => history.QueryAsync(message.Room, new HistoryQuery(null, message.Id, 10), Token));
    }

    [Fact]
    public async Task EveryMemberCallThrowsStorageUnavailableWhenStorageCannotBeReached()
    {
        var members = Unreachable.Members;
        var (room, userId) = (TestData.Room(), TestData.UserId());
        var member = new Member(room, userId, "name", $"inbox-{userId}", DateTimeOffset.UtcNow, DateTimeOffset.UtcNow);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => members.AddAsync(member, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => members.GetAsync(room, userId, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => members.ListAsync(room, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => members.CountSeenSinceAsync(room, DateTimeOffset.UtcNow, 10, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => members.TouchAsync(room, userId, DateTimeOffset.UtcNow, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => members.RemoveAsync(room, userId, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(async () =>
        {
            await foreach (var _ in members.ListSilentSinceAsync(DateTimeOffset.UtcNow, Token))
            {
            }
        });
    }

    [Fact]
    public async Task EveryInboxCallThrowsStorageUnavailableWhenStorageCannotBeReached()
    {
        var inboxes = Unreachable.Inboxes;
        const string queue = "inbox-unreachable";

        await Assert.ThrowsAsync<StorageUnavailableException>(() => inboxes.CreateAsync(queue, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => inboxes.DeliverAsync(queue, "x", TimeSpan.FromMinutes(1), Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => inboxes.ReceiveAsync(queue, 32, Token));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => inboxes.DeleteAsync(queue, Token));
    }

    [Fact]
    public async Task ACancelledCallIsACancellationNotAnOutage()
    {
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Reachable.Probe.CheckAsync(cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Reachable.History.QueryAsync(TestData.Room(), new HistoryQuery(null, null, 10), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Reachable.Members.ListAsync(TestData.Room(), cancelled.Token));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Reachable.Inboxes.ReceiveAsync("inbox-cancelled", 32, cancelled.Token));
    }
}

public sealed class StorageOutageOnFakes : StorageOutageContract
{
    protected override StoragePorts Reachable { get; } = Fakes(down: false);

    protected override StoragePorts Unreachable { get; } = Fakes(down: true);

    private static StoragePorts Fakes(bool down)
    {
        var outage = new FakeOutage { IsDown = down };
        return new StoragePorts(new InMemoryMessageHistory(outage), new InMemoryMemberStore(outage), new InMemoryInboxes(TimeProvider.System, outage), new FakeStorageProbe(outage));
    }
}

[Collection(AzuriteCollection.Name)]
public sealed class StorageOutageOnAzurite : StorageOutageContract, IAsyncLifetime
{
    /// <summary>Azurite's well-known development account and key (public, documented by Microsoft), on a port where nothing listens.</summary>
    public const string ClosedPortConnectionString =
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;" +
        "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;" +
        "TableEndpoint=http://127.0.0.1:1/devstoreaccount1;QueueEndpoint=http://127.0.0.1:1/devstoreaccount1";

    private readonly AzuriteScope scope;

    public StorageOutageOnAzurite(AzuriteFixture azurite)
    {
        scope = azurite.NewScope();
        Reachable = Adapters(scope.Clients);
        // One retry with short delays, like production's few retries but quick: the refusal must surface in seconds.
        Unreachable = Adapters(AzuriteFixture.CreateClients(ClosedPortConnectionString, retries: 1, networkTimeout: TimeSpan.FromSeconds(2)));
    }

    protected override StoragePorts Reachable { get; }

    protected override StoragePorts Unreachable { get; }

    [Fact]
    public async Task AClosedPortIsReportedAsStorageUnavailableWithinAFewSeconds()
    {
        var clock = Stopwatch.StartNew();

        var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() => Unreachable.Probe.CheckAsync(Token));

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"Took {clock.Elapsed.TotalSeconds:0.0} s to give up.");
        Assert.NotNull(failure.InnerException);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // A cancelled first call still starts the one-time table creation, which runs on without the caller; wait for
        // it here, or it could create a table after the scope deleted them.
        await Reachable.History.QueryAsync(TestData.Room(), new HistoryQuery(null, null, 1), CancellationToken.None);
        await Reachable.Members.ListAsync(TestData.Room(), CancellationToken.None);
        await scope.DisposeAsync();
    }

    private StoragePorts Adapters(StorageClients clients) => new(
        new TableMessageHistory(clients.Tables, scope.Options),
        new TableMemberStore(clients.Tables, scope.Options),
        new QueueInboxes(clients.Queues),
        new AzureStorageProbe(clients.Tables, clients.Queues, scope.Options));
}
