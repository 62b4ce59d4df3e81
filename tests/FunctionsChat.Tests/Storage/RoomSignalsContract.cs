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
    public async Task EachWriterKeepsItsOwnLatestEntryAndOtherInstancesSeeThem()
    {
        var room = TestData.Room();
        var now = Now();

        await Signals.RaiseAsync(room, "instancea", Signal(0, (1, now, ["inbox-a"])), Token);
        await SecondInstance.RaiseAsync(room, "instanceb", Signal(0, (2, now, null)), Token);
        await Signals.RaiseAsync(room, "instancea", Signal(1, (3, now.AddSeconds(1), ["inbox-b", "inbox-c"]), (4, now.AddSeconds(2), [])), Token);

        var read = await SecondInstance.ReadAsync(room, Token);
        Assert.Equal(2, read.Count);
        var a = read["instancea"];
        Assert.Equal(1, a.DroppedThrough);
        Assert.Equal([3L, 4L], a.Rounds.Select(r => r.Sequence));
        Assert.Equal(now.AddSeconds(1), a.Rounds[0].At);
        Assert.Equal(["inbox-b", "inbox-c"], a.Rounds[0].PutTo!);
        Assert.Empty(a.Rounds[1].PutTo!);
        Assert.Null(read["instanceb"].Latest.PutTo);
        Assert.Empty(await Signals.ReadAsync(TestData.Room(), Token));
    }

    [Fact]
    public async Task ARoundKeepsItsHandOvers()
    {
        var room = TestData.Room();
        HandOverKey[] handed = [new("instanceb", "0123456789abcdef0123456789abcdef"), new("instancec", "fedcba9876543210fedcba9876543210")];
        await Signals.RaiseAsync(room, "instancea", new WriterSignal(0, [new SignalRound(1, Now(), ["inbox-a"], handed)]), Token);

        var round = (await SecondInstance.ReadAsync(room, Token))["instancea"].Latest;

        Assert.Equal(handed, round.HandedOver!);
    }

    [Fact]
    public async Task AnEntryKeepsItsLatestMessageAndARoundTheQueuesItMissed()
    {
        var room = TestData.Room();
        var latest = TestData.Messages(room, 1)[0].Id;
        await Signals.RaiseAsync(room, "instancea", new WriterSignal(0, [new SignalRound(1, Now(), ["inbox-a"], Missed: ["inbox-b"], LastId: latest)], latest), Token);
        await Signals.RaiseAsync(room, "instanceb", Signal(0, (1, Now(), null)), Token);

        var read = await SecondInstance.ReadAsync(room, Token);

        Assert.Equal(latest, read["instancea"].LatestId);
        Assert.Equal(["inbox-b"], read["instancea"].Latest.Missed!);
        Assert.Equal(latest, read["instancea"].Latest.LastId);
        Assert.Null(read["instanceb"].LatestId);
        Assert.Null(read["instanceb"].Latest.Missed);
    }

    [Fact]
    public async Task OnceThereAreManyWritersTheLongSilentOnesAreDropped()
    {
        var room = TestData.Room();
        var now = Now();
        var old = now - RoomSignalRules.SilentWriterAge - TimeSpan.FromMinutes(1);
        for (var i = 0; i < RoomSignalRules.MaxWriters; i++)
        {
            await Signals.RaiseAsync(room, $"gone{i}", Signal(0, (i + 1, old.AddSeconds(i), null)), Token);
        }
        Assert.Equal(RoomSignalRules.MaxWriters, (await Signals.ReadAsync(room, Token)).Count);

        await SecondInstance.RaiseAsync(room, "current", Signal(0, (7, now, null)), Token);
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
        await Assert.ThrowsAsync<ArgumentException>(() => Signals.RaiseAsync(TestData.Room(), writer, Signal(0, (1, Now(), null)), Token));
    }

    [Fact]
    public async Task AnEntryWithoutRoundsIsRefused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => Signals.RaiseAsync(TestData.Room(), "instancea", new WriterSignal(0, []), Token));
    }

    /// <summary>Whole milliseconds: what every store keeps of a round's time.</summary>
    private static DateTimeOffset Now() => DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

    private static WriterSignal Signal(long droppedThrough, params (long Sequence, DateTimeOffset At, string[]? PutTo)[] rounds) =>
        new(droppedThrough, rounds.Select(r => new SignalRound(r.Sequence, r.At, r.PutTo)).ToList());
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
