using Azure.Storage.Queues;
using FunctionsChat.Storage;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Tests.Fakes;
using Microsoft.Extensions.Time.Testing;

namespace FunctionsChat.Tests.Storage;

/// <summary>What every <see cref="IInboxes"/> must do, on the in-memory fake and on Storage Queues on Azurite.</summary>
public abstract class InboxesContract
{
    protected static readonly TimeSpan LongLife = TimeSpan.FromHours(1);

    private readonly CancellationTokenSource timeout = new(TestData.TestTimeout);

    protected CancellationToken Token => timeout.Token;

    protected abstract IInboxes Inboxes { get; }

    /// <summary>A second handle on the same storage, as a second app instance on the same account would hold.</summary>
    protected abstract IInboxes SecondInstance { get; }

    /// <summary>The shortest time-to-live the store honours; whole seconds, as Storage Queues count them.</summary>
    protected virtual TimeSpan ShortLife => TimeSpan.FromSeconds(1);

    /// <summary>A queue name no other test uses.</summary>
    protected abstract string NewQueueName();

    /// <summary>Lets time pass until payloads sent <paramref name="timeToLive"/> ago into <paramref name="queueName"/> have expired.</summary>
    protected abstract Task PassTimeToLiveAsync(string queueName, TimeSpan timeToLive);

    [Fact]
    public async Task ReceiveReturnsDeliveredPayloadsOldestFirstAndEachOnlyOnce()
    {
        var queue = await CreatedQueueAsync();
        var payloads = Enumerable.Range(1, 5).Select(i => $"{{\"n\":{i}}}").ToList();
        foreach (var payload in payloads)
        {
            Assert.True(await Inboxes.DeliverAsync(queue, payload, LongLife, Token));
        }

        Assert.Equal(payloads, await Inboxes.ReceiveAsync(queue, 32, Token));
        Assert.Equal([], await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    [Fact]
    public async Task ReceiveTakesAtMostMaxMessagesAndLeavesTheRestForTheNextCall()
    {
        var queue = await CreatedQueueAsync();
        var payloads = Enumerable.Range(1, 7).Select(i => $"payload {i}").ToList();
        foreach (var payload in payloads)
        {
            await Inboxes.DeliverAsync(queue, payload, LongLife, Token);
        }

        Assert.Equal(payloads[..3], await Inboxes.ReceiveAsync(queue, 3, Token));
        Assert.Equal(payloads[3..4], await Inboxes.ReceiveAsync(queue, 1, Token));
        Assert.Equal(payloads[4..], await Inboxes.ReceiveAsync(queue, 32, Token));
        Assert.Equal([], await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    [Fact]
    public async Task ReceiveOnANewInboxReturnsAnEmptyListNotNull()
    {
        var queue = await CreatedQueueAsync();

        var received = await Inboxes.ReceiveAsync(queue, 32, Token);

        Assert.NotNull(received);
        Assert.Empty(received);
    }

    [Fact]
    public async Task DeliverToAMissingInboxReturnsFalse()
    {
        Assert.False(await Inboxes.DeliverAsync(NewQueueName(), "lost", LongLife, Token));
    }

    [Fact]
    public async Task ReceiveOnAMissingInboxReturnsNull()
    {
        Assert.Null(await Inboxes.ReceiveAsync(NewQueueName(), 32, Token));
    }

    [Fact]
    public async Task AfterDeleteReceiveReturnsNullAndDeliverReturnsFalse()
    {
        var queue = await CreatedQueueAsync();
        await Inboxes.DeliverAsync(queue, "waiting", LongLife, Token);

        await Inboxes.DeleteAsync(queue, Token);

        Assert.Null(await Inboxes.ReceiveAsync(queue, 32, Token));
        Assert.False(await Inboxes.DeliverAsync(queue, "too late", LongLife, Token));
        Assert.Null(await SecondInstance.ReceiveAsync(queue, 32, Token));
    }

    [Fact]
    public async Task DeletingAMissingInboxIsHarmless()
    {
        var queue = NewQueueName();

        await Inboxes.DeleteAsync(queue, Token);
        await Inboxes.DeleteAsync(queue, Token);

        Assert.Null(await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    [Fact]
    public async Task CreatingAnExistingInboxAgainKeepsItsPayloads()
    {
        var queue = await CreatedQueueAsync();
        await Inboxes.DeliverAsync(queue, "kept", LongLife, Token);

        await Inboxes.CreateAsync(queue, Token);
        await SecondInstance.CreateAsync(queue, Token);

        Assert.Equal(["kept"], await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    [Fact]
    public async Task InboxesAreSeparate()
    {
        var (mine, yours) = (await CreatedQueueAsync(), await CreatedQueueAsync());

        await Inboxes.DeliverAsync(mine, "for me", LongLife, Token);

        Assert.Equal([], await Inboxes.ReceiveAsync(yours, 32, Token));
        Assert.Equal(["for me"], await Inboxes.ReceiveAsync(mine, 32, Token));
    }

    [Fact]
    public async Task APayloadPastItsTimeToLiveIsDropped()
    {
        var queue = await CreatedQueueAsync();
        await Inboxes.DeliverAsync(queue, "expires", ShortLife, Token);
        await Inboxes.DeliverAsync(queue, "stays", LongLife, Token);

        await PassTimeToLiveAsync(queue, ShortLife);

        Assert.Equal(["stays"], await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    [Fact]
    public async Task APayloadWithinItsTimeToLiveIsKept()
    {
        var queue = await CreatedQueueAsync();

        await Inboxes.DeliverAsync(queue, "fresh", TimeSpan.FromSeconds(30), Token);

        Assert.Equal(["fresh"], await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    [Fact]
    public async Task PayloadsRoundTripExactly()
    {
        var queue = await CreatedQueueAsync();
        string[] payloads =
        [
            TestData.Unicode,
            """[{"id":"0638765432109876543-0000002a","text":"你好 👋 <&> \"q\" \\ \n"}]""",
            TestData.LongText(2000),
            "]]></MessageText><x>",
        ];
        foreach (var payload in payloads)
        {
            await Inboxes.DeliverAsync(queue, payload, LongLife, Token);
        }

        Assert.Equal(payloads, await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    /// <summary>
    /// Larger bodies reach the service in several network chunks; a multi-byte character split between two chunks must
    /// survive (Azurite once turned it into U+FFFD, in a few percent of sends). Many sends, at shifting offsets.
    /// </summary>
    [Fact]
    public async Task LargePayloadsWithMultiByteCharactersRoundTripEveryTime()
    {
        var queue = await CreatedQueueAsync();
        var payloads = Enumerable.Range(0, 32).Select(i => $"{i:D2}{new string('x', i)}{TestData.LongText(2000)}").ToList();

        foreach (var payload in payloads)
        {
            await Inboxes.DeliverAsync(queue, payload, LongLife, Token);
        }
        var received = await Inboxes.ReceiveAsync(queue, 32, Token);

        Assert.NotNull(received);
        Assert.Equal(payloads, received.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ConcurrentReceivesFromTwoInstancesNeverReturnTheSamePayloadTwice()
    {
        var queue = await CreatedQueueAsync();
        var payloads = Enumerable.Range(1, 40).Select(i => $"m{i:D2}").ToList();
        await Task.WhenAll(payloads.Select(p => Inboxes.DeliverAsync(queue, p, LongLife, Token)));

        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var pollers = new[] { Inboxes, SecondInstance, Inboxes, SecondInstance }.Select(inboxes => Task.Run(async () =>
        {
            await start.Task;
            var taken = new List<string>();
            while (await inboxes.ReceiveAsync(queue, 5, Token) is { Count: > 0 } batch)
            {
                taken.AddRange(batch);
            }
            return taken;
        }, Token)).ToList();
        start.SetResult();
        var received = (await Task.WhenAll(pollers)).SelectMany(taken => taken).ToList();

        Assert.Equal(payloads, received.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("Inbox-upper")]
    [InlineData("inbox_underscore")]
    [InlineData("inbox--double-dash")]
    [InlineData("-leading-dash")]
    [InlineData("trailing-dash-")]
    [InlineData("ab")]
    [InlineData("a123456789b123456789c123456789d123456789e123456789f123456789xyzw")]
    public async Task CreatingAnInboxWithAnInvalidQueueNameFailsWithoutClaimingAnOutage(string queueName)
    {
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Inboxes.CreateAsync(queueName, Token));

        Assert.IsNotType<StorageUnavailableException>(failure);
    }

    [Fact]
    public async Task TheLongestAndShortestValidQueueNamesAreAccepted()
    {
        var longest = NewQueueName().PadRight(63, '0');
        var shortest = "a" + Guid.NewGuid().ToString("N")[..2];
        try
        {
            await Inboxes.CreateAsync(longest, Token);
            await Inboxes.CreateAsync(shortest, Token);

            Assert.True(await Inboxes.DeliverAsync(longest, "long", LongLife, Token));
            Assert.True(await Inboxes.DeliverAsync(shortest, "short", LongLife, Token));
            Assert.Equal(["long"], await Inboxes.ReceiveAsync(longest, 32, Token));
            Assert.Equal(["short"], await Inboxes.ReceiveAsync(shortest, 32, Token));
        }
        finally
        {
            // The three-character name carries no per-test prefix: remove it here rather than leave it behind.
            await Inboxes.DeleteAsync(shortest, CancellationToken.None);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(33)]
    public async Task ReceiveRefusesToAskForFewerThanOneOrMoreThan32AtOnce(int maxMessages)
    {
        var queue = await CreatedQueueAsync();
        await Inboxes.DeliverAsync(queue, "waiting", LongLife, Token);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Inboxes.ReceiveAsync(queue, maxMessages, Token));

        Assert.IsNotType<StorageUnavailableException>(failure);
        Assert.Equal(["waiting"], await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    [Fact]
    public async Task ReceiveReturnsAtMost32EvenWhenMoreAreWaiting()
    {
        var queue = await CreatedQueueAsync();
        var payloads = Enumerable.Range(1, 40).Select(i => $"p{i:D2}").ToList();
        foreach (var payload in payloads)
        {
            await Inboxes.DeliverAsync(queue, payload, LongLife, Token);
        }

        var first = await Inboxes.ReceiveAsync(queue, 32, Token);
        var rest = await Inboxes.ReceiveAsync(queue, 32, Token);

        Assert.Equal(payloads[..32], first);
        Assert.Equal(payloads[32..], rest);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(500)]
    public async Task ATimeToLiveUnderOneSecondIsRefusedWithoutClaimingAnOutage(int milliseconds)
    {
        var queue = await CreatedQueueAsync();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Inboxes.DeliverAsync(queue, "too short", TimeSpan.FromMilliseconds(milliseconds), Token));

        Assert.IsNotType<StorageUnavailableException>(failure);
        Assert.Equal([], await Inboxes.ReceiveAsync(queue, 32, Token));
    }

    private async Task<string> CreatedQueueAsync()
    {
        var queue = NewQueueName();
        await Inboxes.CreateAsync(queue, Token);
        return queue;
    }
}

public sealed class InboxesOnFakes : InboxesContract
{
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly InMemoryInboxes inboxes;

    public InboxesOnFakes() => inboxes = new InMemoryInboxes(clock);

    protected override IInboxes Inboxes => inboxes;

    protected override IInboxes SecondInstance => inboxes;

    protected override string NewQueueName() => "inbox-" + Guid.NewGuid().ToString("N");

    protected override Task PassTimeToLiveAsync(string queueName, TimeSpan timeToLive)
    {
        clock.Advance(timeToLive + TimeSpan.FromMilliseconds(1));
        return Task.CompletedTask;
    }
}

[Collection(AzuriteCollection.Name)]
public sealed class InboxesOnAzurite : InboxesContract, IAsyncLifetime
{
    private readonly AzuriteScope scope;

    public InboxesOnAzurite(AzuriteFixture azurite)
    {
        scope = azurite.NewScope();
        Inboxes = new QueueInboxes(scope.Clients.Queues);
        SecondInstance = new QueueInboxes(scope.Clients.Queues);
    }

    protected override IInboxes Inboxes { get; }

    protected override IInboxes SecondInstance { get; }

    protected override string NewQueueName() => scope.NewQueueName();

    /// <summary>
    /// Real time has to pass. Polls (peeking, which takes nothing) until the clock is past the time-to-live and the
    /// queue shows no payload whose expiry has passed; bounded, so a store that never expires fails the test instead.
    /// </summary>
    protected override async Task PassTimeToLiveAsync(string queueName, TimeSpan timeToLive)
    {
        var queue = scope.Clients.Queues.GetQueueClient(queueName);
        var expired = DateTimeOffset.UtcNow + timeToLive;
        var giveUp = expired + TimeSpan.FromSeconds(10);
        while (DateTimeOffset.UtcNow < giveUp)
        {
            if (DateTimeOffset.UtcNow >= expired)
            {
                var peeked = (await queue.PeekMessagesAsync(32, Token)).Value;
                if (peeked.All(m => m.ExpiresOn > DateTimeOffset.UtcNow))
                {
                    return;
                }
            }
            await Task.Delay(200, Token);
        }
    }

    /// <summary>
    /// A receive deletes what it takes: the queue is left empty, not holding hidden messages until they expire (which
    /// Azurite scans on every call, and which Azure would keep counting).
    /// </summary>
    [Fact]
    public async Task AReceiveLeavesNothingBehindInTheQueue()
    {
        var queue = NewQueueName();
        await Inboxes.CreateAsync(queue, Token);
        foreach (var payload in new[] { "one", "two", "three" })
        {
            await Inboxes.DeliverAsync(queue, payload, LongLife, Token);
        }

        Assert.Equal(["one", "two", "three"], await Inboxes.ReceiveAsync(queue, 32, Token));

        var properties = (await scope.Clients.Queues.GetQueueClient(queue).GetPropertiesAsync(Token)).Value;
        Assert.Equal(0, properties.ApproximateMessagesCount);
        Assert.Equal([], await SecondInstance.ReceiveAsync(queue, 32, Token));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => scope.DisposeAsync().AsTask();
}
