using FunctionsChat.Storage;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Tests.Fakes;

namespace FunctionsChat.Tests.Storage;

/// <summary>What every <see cref="IHandOvers"/> must do, on the fake and on the Table adapter on Azurite.</summary>
public abstract class HandOversContract
{
    private readonly CancellationTokenSource timeout = new(TestData.TestTimeout);

    protected CancellationToken Token => timeout.Token;

    protected abstract IHandOvers HandOvers { get; }

    /// <summary>A second handle on the same storage, as another app instance holds.</summary>
    protected abstract IHandOvers SecondInstance { get; }

    [Fact]
    public async Task EachInstancesWaitingSetReplacesItsLastOneAndAnEmptyOneWithdrawsIt()
    {
        var room = TestData.Room();
        var at = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await HandOvers.PublishWaitingAsync(room, "instancea", ["inbox-1", "inbox-2"], at, Token);
        await SecondInstance.PublishWaitingAsync(room, "instanceb", ["inbox-3"], at, Token);
        await HandOvers.PublishWaitingAsync(room, "instancea", ["inbox-2"], at.AddSeconds(1), Token);

        var sets = (await SecondInstance.ReadWaitingAsync(room, Token)).OrderBy(s => s.Instance).ToList();
        Assert.Equal(["instancea", "instanceb"], sets.Select(s => s.Instance));
        Assert.Equal(["inbox-2"], sets[0].QueueNames);
        Assert.Equal(at.AddSeconds(1), sets[0].At);

        await HandOvers.PublishWaitingAsync(room, "instancea", [], at.AddSeconds(2), Token);
        await HandOvers.PublishWaitingAsync(room, "instancec", [], at.AddSeconds(2), Token);
        Assert.Equal(["instanceb"], (await HandOvers.ReadWaitingAsync(room, Token)).Select(s => s.Instance));
        Assert.Empty(await HandOvers.ReadWaitingAsync(TestData.Room(), Token));
    }

    [Fact]
    public async Task AHandOverReachesOnlyItsTargetByKeyOrAllAtOnceInOrderUntilClaimedOnce()
    {
        var room = TestData.Room();
        var messages = TestData.Messages(room, 3);
        var first = await HandOvers.SendAsync(room,
        [
            new HandOver("instanceb", ["inbox-1", "inbox-2"], messages[1..]),
            new HandOver("instancec", ["inbox-3"], messages[1..]),
        ], Token);
        var second = await HandOvers.SendAsync(room, [new HandOver("instanceb", ["inbox-1"], messages[..1])], Token);
        Assert.Equal(2, first.Count);
        Assert.Single(second);

        var received = await SecondInstance.ReceiveAsync(room, "instanceb", null, Token);
        Assert.Equal([second[0], first[0]], received.Select(r => r.Key));
        Assert.Equal(messages[..1], received[0].Messages);
        Assert.Equal(messages[1..], received[1].Messages);
        Assert.Equal(["inbox-1", "inbox-2"], received[1].QueueNames);
        Assert.Equal([first[1]], (await HandOvers.ReceiveAsync(room, "instancec", null, Token)).Select(r => r.Key));
        Assert.Empty(await HandOvers.ReceiveAsync(room, "instanced", null, Token));
        // By key: only those asked for, and only for their target.
        Assert.Equal([first[0]], (await SecondInstance.ReceiveAsync(room, "instanceb", [first[0], "0123456789abcdef0123456789abcdef"], Token)).Select(r => r.Key));
        Assert.Empty(await SecondInstance.ReceiveAsync(room, "instanceb", [first[1]], Token));

        await SecondInstance.RemoveAsync(room, "instanceb", [second[0]], Token);
        Assert.Equal([first[0]], (await SecondInstance.ReceiveAsync(room, "instanceb", null, Token)).Select(r => r.Key));
        // Removing is idempotent (a retry after a lost answer is no error) and only ever under the row's target.
        await SecondInstance.RemoveAsync(room, "instanceb", [second[0]], Token);
        await HandOvers.RemoveAsync(room, "instancec", [first[0]], Token);
        Assert.Equal([first[0]], (await SecondInstance.ReceiveAsync(room, "instanceb", null, Token)).Select(r => r.Key));
        await HandOvers.RemoveAsync(room, "instanceb", [second[0], first[0]], Token);
        Assert.Empty(await SecondInstance.ReceiveAsync(room, "instanceb", null, Token));
        Assert.Empty(await SecondInstance.ReceiveAsync(room, "instanceb", [first[0]], Token));
    }

    [Fact]
    public async Task EveryHandOverOfTheRoomCanBeReadWithItsTargetForSweeping()
    {
        var room = TestData.Room();
        var messages = TestData.Messages(room, 2);
        var keys = await HandOvers.SendAsync(room,
        [
            new HandOver("instanceb", ["inbox-1"], messages[1..]),
            new HandOver("instancec", ["inbox-2", "inbox-3"], messages[..1], Forwarded: true),
        ], Token);
        await HandOvers.SendAsync(TestData.Room(), [new HandOver("instanceb", ["inbox-9"], messages)], Token);
        await HandOvers.PublishWaitingAsync(room, "instancea", ["inbox-1"], DateTimeOffset.UtcNow, Token);

        var all = await SecondInstance.ReadAllAsync(room, Token);
        Assert.Equal([("instancec", keys[1]), ("instanceb", keys[0])], all.Select(h => (h.Target, h.Key)));
        Assert.Equal(["inbox-2", "inbox-3"], all[0].QueueNames);
        Assert.True(all[0].Forwarded);
        Assert.Equal(messages[..1], all[0].Messages);
        Assert.Equal(messages[1].SentAt, all[1].NewestSentAt);
        Assert.Empty(await HandOvers.ReadAllAsync(TestData.Room(), Token));
    }

    [Fact]
    public async Task ManyInstancesCanPublishAndTheLongSilentOnesAreDropped()
    {
        var room = TestData.Room();
        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var old = now - RoomSignalRules.SilentWriterAge - TimeSpan.FromMinutes(1);
        for (var i = 0; i < RoomSignalRules.MaxWriters; i++)
        {
            await HandOvers.PublishWaitingAsync(room, $"gone{i}", [$"inbox-{i}"], old, Token);
        }
        await SecondInstance.PublishWaitingAsync(room, "current", ["inbox-x"], now, Token);

        Assert.Equal(RoomSignalRules.MaxWriters + 1, (await HandOvers.ReadWaitingAsync(room, Token)).Count);
        Assert.Equal(["current"], (await SecondInstance.ReadWaitingAsync(room, Token)).Select(s => s.Instance));
    }

    [Fact]
    public async Task HandOversAndWaitingSetsAreNotPartOfTheRoomsHistory()
    {
        var room = TestData.Room();
        await HandOvers.PublishWaitingAsync(room, "instancea", ["inbox-1"], DateTimeOffset.UtcNow, Token);
        await HandOvers.SendAsync(room, [new HandOver("instancea", ["inbox-1"], TestData.Messages(room, 1))], Token);
        Assert.Single(await HandOvers.ReadWaitingAsync(room, Token));
        Assert.Empty(await HandOvers.ReceiveAsync(TestData.Room(), "instancea", null, Token));
    }

    [Fact]
    public async Task AHandOverWithoutQueuesOrMessagesOrWithTooLongMessagesIsRefused()
    {
        var room = TestData.Room();
        var message = TestData.Messages(room, 1);
        await Assert.ThrowsAsync<ArgumentException>(() => HandOvers.SendAsync(room, [new HandOver("instanceb", [], message)], Token));
        await Assert.ThrowsAsync<ArgumentException>(() => HandOvers.SendAsync(room, [new HandOver("instanceb", ["inbox-1"], [])], Token));
        await Assert.ThrowsAsync<ArgumentException>(() => HandOvers.SendAsync(room, [new HandOver("Not-A-Name", ["inbox-1"], message)], Token));
        var tooLong = Enumerable.Range(0, 20).Select(i => TestData.Message(room, TestData.Id(i + 1, (uint)i), TestData.LongText(2_000))).ToList();
        await Assert.ThrowsAsync<ArgumentException>(() => HandOvers.SendAsync(room, [new HandOver("instanceb", ["inbox-1"], tooLong)], Token));
        Assert.Empty(await HandOvers.ReceiveAsync(room, "instanceb", null, Token));
    }
}

public sealed class HandOversOnFakes : HandOversContract
{
    private readonly InMemoryHandOvers handOvers = new();

    protected override IHandOvers HandOvers => handOvers;

    protected override IHandOvers SecondInstance => handOvers;
}

[Collection(AzuriteCollection.Name)]
public sealed class HandOversOnAzurite : HandOversContract, IAsyncLifetime
{
    private readonly AzuriteScope scope;
    private readonly IHandOvers handOvers;
    private readonly IHandOvers second;

    public HandOversOnAzurite(AzuriteFixture azurite)
    {
        scope = azurite.NewScope();
        handOvers = new TableHandOvers(scope.Clients.Tables, scope.Options);
        second = new TableHandOvers(scope.Clients.Tables, scope.Options);
    }

    protected override IHandOvers HandOvers => handOvers;

    protected override IHandOvers SecondInstance => second;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => scope.DisposeAsync().AsTask();
}
