using FunctionsChat.Storage;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Tests.Fakes;

namespace FunctionsChat.Tests.Storage;

/// <summary>
/// What every <see cref="IMessageHistory"/> must do. Runs against the in-memory fake and against the Table adapter on
/// Azurite, so the fake the function tests rely on cannot drift from the real store.
/// </summary>
public abstract class MessageHistoryContract
{
    private const int All = 500;

    private readonly CancellationTokenSource timeout = new(TestData.TestTimeout);

    protected CancellationToken Token => timeout.Token;

    /// <summary>The store under test.</summary>
    protected abstract IMessageHistory History { get; }

    /// <summary>A second handle on the same storage, as a second app instance on the same account would hold.</summary>
    protected abstract IMessageHistory SecondInstance { get; }

    [Fact]
    public async Task ARepeatedDedupeKeySaysWhetherTheFirstOnesFanOutWasMarkedDone()
    {
        var room = TestData.Room();
        var sent = TestData.Messages(room, 3);
        Assert.True((await History.AppendAsync(sent[0], "key-1", Token)).Created);

        var beforeMark = await SecondInstance.AppendAsync(sent[1], "key-1", Token);
        await History.MarkDeliveredAsync(room, "key-1", Token);
        var afterMark = await SecondInstance.AppendAsync(sent[2], "key-1", Token);

        Assert.False(beforeMark.Created);
        Assert.False(beforeMark.Delivered);
        Assert.Equal(sent[0], beforeMark.Message);
        Assert.False(afterMark.Created);
        Assert.True(afterMark.Delivered);
        Assert.Equal(sent[0], afterMark.Message);
    }

    [Fact]
    public async Task ANoticesKindAndNewNameComeBackAndATextMessageHasNeither()
    {
        var room = TestData.Room();
        var sent = TestData.Messages(room, 2);
        var notice = sent[1] with { Kind = "rename", NewName = "Emma" };
        await History.AppendAsync(sent[0], null, Token);
        await History.AppendAsync(notice, null, Token);

        var read = await SecondInstance.QueryAsync(room, new HistoryQuery(null, null, 10), Token);

        Assert.Equal([sent[0], notice], read);
        Assert.Null(read[0].Kind);
        Assert.Null(read[0].NewName);
    }

    [Fact]
    public async Task WithoutBoundsTheNewestMessagesComeBackOldestFirst()
    {
        var room = TestData.Room();
        var sent = await AppendAllAsync(TestData.Messages(room, 5));

        Assert.Equal(sent[2..], await History.QueryAsync(room, new HistoryQuery(null, null, 3), Token));
        Assert.Equal(sent, await History.QueryAsync(room, new HistoryQuery(null, null, 100), Token));
    }

    [Fact]
    public async Task AfterReturnsTheOldestMessagesAboveTheId()
    {
        var room = TestData.Room();
        var sent = await AppendAllAsync(TestData.Messages(room, 6));

        Assert.Equal([sent[2], sent[3]], await History.QueryAsync(room, new HistoryQuery(sent[1].Id, null, 2), Token));
        Assert.Equal(sent[2..], await History.QueryAsync(room, new HistoryQuery(sent[1].Id, null, 100), Token));
        Assert.Empty(await History.QueryAsync(room, new HistoryQuery(sent[5].Id, null, 100), Token));
    }

    [Fact]
    public async Task BeforeReturnsTheNewestMessagesBelowTheId()
    {
        var room = TestData.Room();
        var sent = await AppendAllAsync(TestData.Messages(room, 6));

        Assert.Equal([sent[2], sent[3]], await History.QueryAsync(room, new HistoryQuery(null, sent[4].Id, 2), Token));
        Assert.Equal(sent[..4], await History.QueryAsync(room, new HistoryQuery(null, sent[4].Id, 100), Token));
        Assert.Empty(await History.QueryAsync(room, new HistoryQuery(null, sent[0].Id, 100), Token));
    }

    [Fact]
    public async Task AfterAndBeforeTogetherReturnTheOldestMessagesStrictlyBetweenThem()
    {
        var room = TestData.Room();
        var sent = await AppendAllAsync(TestData.Messages(room, 7));

        Assert.Equal(sent[2..5], await History.QueryAsync(room, new HistoryQuery(sent[1].Id, sent[5].Id, 100), Token));
        Assert.Equal([sent[2], sent[3]], await History.QueryAsync(room, new HistoryQuery(sent[1].Id, sent[5].Id, 2), Token));
        Assert.Empty(await History.QueryAsync(room, new HistoryQuery(sent[3].Id, sent[4].Id, 100), Token));
        Assert.Empty(await History.QueryAsync(room, new HistoryQuery(sent[4].Id, sent[3].Id, 100), Token));
    }

    [Fact]
    public async Task TheLimitIsRespectedByEveryKindOfQuery()
    {
        var room = TestData.Room();
        var sent = await AppendAllAsync(TestData.Messages(room, 12));

        Assert.Equal([sent[11]], await History.QueryAsync(room, new HistoryQuery(null, null, 1), Token));
        Assert.Equal([sent[1]], await History.QueryAsync(room, new HistoryQuery(sent[0].Id, null, 1), Token));
        Assert.Equal([sent[10]], await History.QueryAsync(room, new HistoryQuery(null, sent[11].Id, 1), Token));
        Assert.Equal([sent[1]], await History.QueryAsync(room, new HistoryQuery(sent[0].Id, sent[11].Id, 1), Token));
        Assert.Equal(sent, await History.QueryAsync(room, new HistoryQuery(null, null, 12), Token));
        Assert.Equal(sent[2..9], await History.QueryAsync(room, new HistoryQuery(sent[1].Id, null, 7), Token));
        Assert.Equal(sent[3..10], await History.QueryAsync(room, new HistoryQuery(null, sent[10].Id, 7), Token));
    }

    [Fact]
    public async Task ARoomWithoutMessagesReturnsAnEmptyList()
    {
        var room = TestData.Room();
        var id = TestData.Messages(room, 1)[0].Id;

        Assert.Empty(await History.QueryAsync(room, new HistoryQuery(null, null, 100), Token));
        Assert.Empty(await History.QueryAsync(room, new HistoryQuery(id, null, 100), Token));
        Assert.Empty(await History.QueryAsync(room, new HistoryQuery(null, id, 100), Token));
    }

    [Fact]
    public async Task RoomsNeverSeeEachOthersMessages()
    {
        var room = TestData.Room();
        var longerName = room + "x"; // One room's name is a prefix of the other's.
        var inRoom = await AppendAllAsync(TestData.Messages(room, 3));
        var inOther = await AppendAllAsync(TestData.Messages(longerName, 2));
        var inThird = TestData.Room();

        Assert.Equal(inRoom, await History.QueryAsync(room, new HistoryQuery(null, null, 100), Token));
        Assert.Equal(inOther, await History.QueryAsync(longerName, new HistoryQuery(null, null, 100), Token));
        Assert.Equal(inRoom[1..], await History.QueryAsync(room, new HistoryQuery(inRoom[0].Id, null, 100), Token));
        Assert.Equal(inOther[..1], await History.QueryAsync(longerName, new HistoryQuery(null, inOther[1].Id, 100), Token));
        Assert.Empty(await History.QueryAsync(inThird, new HistoryQuery(null, null, 100), Token));
    }

    [Fact]
    public async Task MessagesComeBackInIdOrderWhateverOrderTheyWereAppendedIn()
    {
        var room = TestData.Room();
        var ticks = DateTimeOffset.UtcNow.UtcTicks;
        // Two instances accepting in the same tick differ only in the tie-breaker; cover both ends of its range.
        string[] ids =
        [
            TestData.Id(ticks, 0x00000000), TestData.Id(ticks, 0x00000001), TestData.Id(ticks, 0x7ffffffe),
            TestData.Id(ticks, 0xffffffff), TestData.Id(ticks + 1, 0x00000000), TestData.Id(ticks + 10_000_000, 0x12345678),
        ];
        var expected = ids.Select(id => TestData.Message(room, id)).ToList();
        foreach (var index in new[] { 3, 0, 5, 1, 4, 2 })
        {
            Assert.True((await History.AppendAsync(expected[index], null, Token)).Created);
        }

        Assert.Equal(expected, await History.QueryAsync(room, new HistoryQuery(null, null, 100), Token));
        Assert.Equal(expected[2..], await History.QueryAsync(room, new HistoryQuery(ids[1], null, 100), Token));
        Assert.Equal(expected[..4], await History.QueryAsync(room, new HistoryQuery(null, ids[4], 100), Token));
        Assert.Equal(expected[1..3], await History.QueryAsync(room, new HistoryQuery(null, ids[3], 2), Token));
        Assert.Equal(expected[3..5], await History.QueryAsync(room, new HistoryQuery(ids[2], null, 2), Token));
    }

    [Fact]
    public async Task BoundsThatWereNeverStoredStillSelectTheMessagesAroundThem()
    {
        var room = TestData.Room();
        var ticks = DateTimeOffset.UtcNow.UtcTicks;
        var sent = await AppendAllAsync([.. new[] { 10L, 20, 30, 40 }.Select(t => TestData.Message(room, TestData.Id(ticks + t, 0x10)))]);
        var between20And30 = TestData.Id(ticks + 25, 0);
        var sameTickAs30ButSmaller = TestData.Id(ticks + 30, 0x0f);

        Assert.Equal(sent[2..], await History.QueryAsync(room, new HistoryQuery(between20And30, null, 100), Token));
        Assert.Equal(sent[..2], await History.QueryAsync(room, new HistoryQuery(null, between20And30, 100), Token));
        Assert.Equal(sent[2..], await History.QueryAsync(room, new HistoryQuery(sameTickAs30ButSmaller, null, 100), Token));
        Assert.Equal(sent[..2], await History.QueryAsync(room, new HistoryQuery(null, sameTickAs30ButSmaller, 100), Token));
        Assert.Equal(sent, await History.QueryAsync(room, new HistoryQuery(TestData.Id(ticks, 0), TestData.Id(ticks + 50, 0), 100), Token));
    }

    [Fact]
    public async Task AppendWithARepeatedDedupeKeyStoresNothingNew()
    {
        var room = TestData.Room();
        var (first, retry) = (TestData.Messages(room, 2)[0], TestData.Messages(room, 2)[1]);
        const string key = "5f1c0de2f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f";

        var created = await History.AppendAsync(first, key, Token);
        var repeated = await History.AppendAsync(retry with { Text = "a retry with other text" }, key, Token);

        Assert.True(created.Created);
        Assert.Equal(first, created.Message);
        Assert.False(repeated.Created);
        Assert.Equal(first, repeated.Message);
        Assert.Equal([first], await History.QueryAsync(room, new HistoryQuery(null, null, All), Token));
        Assert.Equal([first], await History.QueryAsync(room, new HistoryQuery(TestData.Id(0, 0), null, All), Token));
    }

    [Fact]
    public async Task ARepeatedDedupeKeyIsNoticedByEveryInstance()
    {
        var room = TestData.Room();
        var sent = TestData.Messages(room, 2);

        var created = await History.AppendAsync(sent[0], "key-1", Token);
        var repeated = await SecondInstance.AppendAsync(sent[1], "key-1", Token);

        Assert.True(created.Created);
        Assert.False(repeated.Created);
        Assert.Equal(sent[0], repeated.Message);
        Assert.Equal([sent[0]], await SecondInstance.QueryAsync(room, new HistoryQuery(null, null, All), Token));
    }

    [Fact]
    public async Task DifferentDedupeKeysAndNoKeyAlwaysStore()
    {
        var room = TestData.Room();
        var sent = TestData.Messages(room, 4);

        Assert.True((await History.AppendAsync(sent[0], "key-a", Token)).Created);
        Assert.True((await History.AppendAsync(sent[1], "key-b", Token)).Created);
        Assert.True((await History.AppendAsync(sent[2], null, Token)).Created);
        Assert.True((await History.AppendAsync(sent[3], null, Token)).Created);

        Assert.Equal(sent, await History.QueryAsync(room, new HistoryQuery(null, null, All), Token));
    }

    [Fact]
    public async Task TheSameDedupeKeyInAnotherRoomIsANewMessage()
    {
        var (room, other) = (TestData.Room(), TestData.Room());
        var first = TestData.Messages(room, 1)[0];
        var second = TestData.Messages(other, 1)[0];

        Assert.True((await History.AppendAsync(first, "shared-key", Token)).Created);
        var inOther = await History.AppendAsync(second, "shared-key", Token);

        Assert.True(inOther.Created);
        Assert.Equal(second, inOther.Message);
        Assert.Equal([second], await History.QueryAsync(other, new HistoryQuery(null, null, All), Token));
    }

    [Fact]
    public async Task AppendingAnIdThatIsAlreadyStoredFailsWithoutClaimingAnOutage()
    {
        var room = TestData.Room();
        var first = TestData.Messages(room, 1)[0];
        await History.AppendAsync(first, "first-key", Token);

        var withoutKey = await Assert.ThrowsAnyAsync<Exception>(() => History.AppendAsync(first with { Text = "other" }, null, Token));
        var withNewKey = await Assert.ThrowsAnyAsync<Exception>(() => History.AppendAsync(first with { Text = "other" }, "second-key", Token));

        Assert.IsNotType<StorageUnavailableException>(withoutKey);
        Assert.IsNotType<StorageUnavailableException>(withNewKey);
        Assert.Equal([first], await History.QueryAsync(room, new HistoryQuery(null, null, All), Token));
        // The failed append left no dedupe marker behind: the second key is still free.
        var next = TestData.Messages(room, 1)[0];
        Assert.True((await History.AppendAsync(next, "second-key", Token)).Created);
    }

    [Fact]
    public async Task TwoConcurrentAppendsWithTheSameDedupeKeyCreateExactlyOneMessage()
    {
        for (var round = 0; round < 5; round++)
        {
            var room = TestData.Room();
            var sent = TestData.Messages(room, 2);
            var key = $"concurrent-{round}";
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var racers = new[] { (Store: History, Message: sent[0]), (Store: SecondInstance, Message: sent[1]) }
                .Select(racer => Task.Run(async () =>
                {
                    await start.Task;
                    return await racer.Store.AppendAsync(racer.Message, key, Token);
                }, Token))
                .ToList();
            start.SetResult();
            var results = await Task.WhenAll(racers);

            var winner = Assert.Single(results, r => r.Created).Message;
            Assert.Contains(winner, sent);
            Assert.All(results, r => Assert.Equal(winner, r.Message));
            Assert.Equal([winner], await History.QueryAsync(room, new HistoryQuery(null, null, All), Token));
        }
    }

    [Fact]
    public async Task UnicodeTextAndNamesRoundTripExactly()
    {
        var room = TestData.Room();
        var message = TestData.Messages(room, 1)[0] with { Text = TestData.Unicode, Name = "张伟 🐉 Zoë" };

        await History.AppendAsync(message, "unicode", Token);

        var stored = Assert.Single(await History.QueryAsync(room, new HistoryQuery(null, null, All), Token));
        Assert.Equal(message, stored);
        Assert.Equal(TestData.Unicode, stored.Text);
        Assert.Equal("张伟 🐉 Zoë", stored.Name);
        Assert.Equal(message, Assert.Single(await History.QueryAsync(room, new HistoryQuery(TestData.Id(0, 0), null, All), Token)));
        Assert.Equal(message, (await History.AppendAsync(message with { Id = TestData.Messages(room, 1)[0].Id, Text = "x" }, "unicode", Token)).Message);
    }

    [Fact]
    public async Task ATwoThousandCharacterTextRoundTrips()
    {
        var room = TestData.Room();
        var text = TestData.LongText(2000);
        var message = TestData.Messages(room, 1)[0] with { Text = text };

        await History.AppendAsync(message, null, Token);

        var stored = Assert.Single(await History.QueryAsync(room, new HistoryQuery(null, null, All), Token));
        Assert.Equal(2000, stored.Text.EnumerateRunes().Count());
        Assert.Equal(text, stored.Text);
        Assert.Equal(message, stored);
    }

    [Fact]
    public async Task SentAtKeepsItsFullPrecision()
    {
        var room = TestData.Room();
        var message = TestData.Message(room, TestData.Id(638_765_432_109_876_543, 0x2a));

        await History.AppendAsync(message, null, Token);

        var stored = Assert.Single(await History.QueryAsync(room, new HistoryQuery(null, null, All), Token));
        Assert.Equal(638_765_432_109_876_543, stored.SentAt.UtcTicks);
        Assert.Equal(TimeSpan.Zero, stored.SentAt.Offset);
    }

    private async Task<List<ChatMessage>> AppendAllAsync(List<ChatMessage> messages)
    {
        foreach (var message in messages)
        {
            Assert.True((await History.AppendAsync(message, null, Token)).Created);
        }
        return messages;
    }
}

public sealed class MessageHistoryOnFakes : MessageHistoryContract
{
    private readonly InMemoryMessageHistory history = new();

    protected override IMessageHistory History => history;

    // The fake is one process's memory: a "second instance" shares it, as two instances share one storage account.
    protected override IMessageHistory SecondInstance => history;
}

[Collection(AzuriteCollection.Name)]
public sealed class MessageHistoryOnAzurite : MessageHistoryContract, IAsyncLifetime
{
    private readonly AzuriteScope scope;
    private readonly IMessageHistory history;
    private readonly IMessageHistory second;

    public MessageHistoryOnAzurite(AzuriteFixture azurite)
    {
        scope = azurite.NewScope();
        history = new TableMessageHistory(scope.Clients.Tables, scope.Options);
        second = new TableMessageHistory(scope.Clients.Tables, scope.Options);
    }

    protected override IMessageHistory History => history;

    protected override IMessageHistory SecondInstance => second;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => scope.DisposeAsync().AsTask();
}
