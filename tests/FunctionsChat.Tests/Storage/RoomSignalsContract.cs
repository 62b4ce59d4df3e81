using FunctionsChat.Storage;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Tests.Fakes;

namespace FunctionsChat.Tests.Storage;

/// <summary>What every <see cref="IRoomSignals"/> must do, on the fake and on the Table adapter on Azurite.</summary>
public abstract class RoomSignalsContract
{
    private readonly CancellationTokenSource timeout = new(TestData.TestTimeout);

    protected CancellationToken Token => timeout.Token;

    protected abstract IRoomSignals Signals { get; }

    /// <summary>A second handle on the same storage, as another app instance holds.</summary>
    protected abstract IRoomSignals SecondInstance { get; }

    [Fact]
    public async Task ARoomNobodySignalledReadsEmpty()
    {
        Assert.Empty(await Signals.ReadAsync(TestData.Room(), Token));
    }

    [Fact]
    public async Task EachWriterKeepsItsOwnNewestIdAndOtherInstancesSeeThem()
    {
        var room = TestData.Room();
        var now = DateTimeOffset.UtcNow.UtcTicks;

        await Signals.RaiseAsync(room, "instancea", TestData.Id(now, 1), Token);
        await SecondInstance.RaiseAsync(room, "instanceb", TestData.Id(now + 1, 2), Token);
        await Signals.RaiseAsync(room, "instancea", TestData.Id(now + 2, 3), Token);

        var read = await SecondInstance.ReadAsync(room, Token);
        Assert.Equal(2, read.Count);
        Assert.Equal(TestData.Id(now + 2, 3), read["instancea"]);
        Assert.Equal(TestData.Id(now + 1, 2), read["instanceb"]);
        Assert.Empty(await Signals.ReadAsync(TestData.Room(), Token));
    }

    [Fact]
    public async Task OnceThereAreManyWritersTheLongSilentOnesAreDropped()
    {
        var room = TestData.Room();
        var now = DateTimeOffset.UtcNow.UtcTicks;
        var old = now - (RoomSignalRules.SilentWriterAge + TimeSpan.FromMinutes(1)).Ticks;
        for (var i = 0; i < RoomSignalRules.MaxWriters; i++)
        {
            await Signals.RaiseAsync(room, $"gone{i}", TestData.Id(old + i, (uint)i), Token);
        }
        Assert.Equal(RoomSignalRules.MaxWriters, (await Signals.ReadAsync(room, Token)).Count);

        await SecondInstance.RaiseAsync(room, "current", TestData.Id(now, 7), Token);
        var read = await Signals.ReadAsync(room, Token);

        Assert.Equal(["current"], read.Keys);
        Assert.Equal(["current"], (await SecondInstance.ReadAsync(room, Token)).Keys);
    }

    [Theory]
    [InlineData("")]
    [InlineData("Upper")]
    [InlineData("has-dash")]
    [InlineData("a23456789012345678901234567890123")]
    public async Task AWriterNameThatCannotNameAPropertyIsRefused(string writer)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Signals.RaiseAsync(TestData.Room(), writer, TestData.Id(1, 1), Token));
    }
}

public sealed class RoomSignalsOnFakes : RoomSignalsContract
{
    private readonly InMemoryRoomSignals signals = new();

    protected override IRoomSignals Signals => signals;

    protected override IRoomSignals SecondInstance => signals;
}

[Collection(AzuriteCollection.Name)]
public sealed class RoomSignalsOnAzurite : RoomSignalsContract, IAsyncLifetime
{
    private readonly AzuriteScope scope;
    private readonly IRoomSignals signals;
    private readonly IRoomSignals second;

    public RoomSignalsOnAzurite(AzuriteFixture azurite)
    {
        scope = azurite.NewScope();
        signals = new TableRoomSignals(scope.Clients.Tables, scope.Options);
        second = new TableRoomSignals(scope.Clients.Tables, scope.Options);
    }

    protected override IRoomSignals Signals => signals;

    protected override IRoomSignals SecondInstance => second;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => scope.DisposeAsync().AsTask();
}
