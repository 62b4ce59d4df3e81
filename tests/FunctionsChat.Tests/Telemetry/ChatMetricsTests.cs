using FunctionsChat.Delivery;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using FunctionsChat.Tests.Fakes;
using FunctionsChat.Tests.Functions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static FunctionsChat.Tests.Functions.FakeClockDriver;

namespace FunctionsChat.Tests.Telemetry;

/// <summary>
/// The chat's own metrics move as messages are sent, delivered and polled. Each collector listens only to the meters
/// of this test's service provider (its IMeterFactory), so tests running in parallel do not count into each other.
/// </summary>
public sealed class ChatMetricsTests : IDisposable
{
    private readonly ChatTestApp app = new();
    private readonly MetricCollector<long> accepted;
    private readonly MetricCollector<long> deliveries;
    private readonly MetricCollector<long> polls;
    private readonly MetricCollector<double> fanOutDuration;

    public ChatMetricsTests()
    {
        var meters = app.Services.GetRequiredService<IMeterFactory>();
        accepted = new MetricCollector<long>(meters, ChatMetrics.MeterName, ChatMetrics.MessagesAcceptedName);
        deliveries = new MetricCollector<long>(meters, ChatMetrics.MeterName, ChatMetrics.DeliveriesName);
        polls = new MetricCollector<long>(meters, ChatMetrics.MeterName, ChatMetrics.PollsName);
        fanOutDuration = new MetricCollector<double>(meters, ChatMetrics.MeterName, ChatMetrics.FanOutDurationName);
    }

    [Fact]
    public async Task ASendHandedToAWaitingPollAndPolledFromAQueueMovesEveryChatMetric()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var bobsPoll = app.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1);

        Assert.Equal(201, (await app.SendTextAsync(alice, "hello")).Status);
        Assert.Equal(["hello"], (await bobsPoll.WaitAsync(TimeSpan.FromSeconds(10))).MessageTexts);
        Assert.Equal(["hello"], (await app.PollAsync("lobby", alice.Token, "timeout=1")).MessageTexts);
        Assert.Empty((await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", bob.Token, "timeout=1"), TimeSpan.FromMilliseconds(250))).MessageTexts);

        Assert.Equal(1, Sum(accepted));
        Assert.Equal(1, Sum(deliveries, "path", "handover")); // Bob's poll waited here
        Assert.Equal(1, Sum(deliveries, "path", "queue")); // Alice was not polling: her own copy went to her queue
        Assert.Equal(2, Sum(polls, "outcome", "messages"));
        Assert.Equal(1, Sum(polls, "outcome", "empty"));
        Assert.Equal(0, Sum(polls, "outcome", "gone"));
        var round = Assert.Single(fanOutDuration.GetMeasurementSnapshot());
        Assert.True(round.Value >= 0);
    }

    [Fact]
    public async Task DeliveriesCountEveryMessageOfAGroupCommitRoundForEveryMember()
    {
        var members = new[] { await app.JoinAsMemberAsync("lobby"), await app.JoinAsMemberAsync("lobby"), await app.JoinAsMemberAsync("lobby") };
        var gated = new HeldFirstPut(app.Inboxes);
        var fanOut = ActivatorUtilities.CreateInstance<MessageFanOut>(app.Services, ActivatorUtilities.CreateInstance<QueuePuts>(app.Services, (IInboxes)gated));
        var ids = app.Services.GetRequiredService<MessageIds>();
        var messages = Enumerable.Range(1, 3).Select(i => new ChatMessage(ids.Next().Id, "lobby", members[0].UserId, members[0].Name, $"m{i}", app.Clock.GetUtcNow())).ToList();

        var first = fanOut.DeliverAsync(messages[0], CancellationToken.None);
        await gated.FirstPutHeld.WaitAsync(TimeSpan.FromSeconds(10));
        var later = messages.Skip(1).Select(m => fanOut.DeliverAsync(m, CancellationToken.None)).ToList();
        gated.Release();
        await Task.WhenAll(later.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        // Round one carries m1, round two m2 and m3: three messages reach each of three queues.
        Assert.Equal(9, Sum(deliveries, "path", "queue"));
        Assert.Equal(0, Sum(deliveries, "path", "handover"));
        Assert.Equal(2, fanOutDuration.GetMeasurementSnapshot().Count);
    }

    [Fact]
    public async Task AFanOutRoundRecordsItsDurationInSecondsOnTheClock()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var gated = new HeldFirstPut(app.Inboxes);
        var fanOut = ActivatorUtilities.CreateInstance<MessageFanOut>(app.Services, ActivatorUtilities.CreateInstance<QueuePuts>(app.Services, (IInboxes)gated));
        var message = new ChatMessage(app.Services.GetRequiredService<MessageIds>().Next().Id, "lobby", alice.UserId, alice.Name, "slow", app.Clock.GetUtcNow());

        var delivered = fanOut.DeliverAsync(message, CancellationToken.None);
        await gated.FirstPutHeld.WaitAsync(TimeSpan.FromSeconds(10));
        app.Clock.Advance(TimeSpan.FromMilliseconds(1500));
        gated.Release();
        await delivered.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1.5, Assert.Single(fanOutDuration.GetMeasurementSnapshot()).Value, precision: 6);
    }

    [Fact]
    public async Task ARetriedSendThatStoresNothingNewIsNotCountedAsAcceptedAgain()
    {
        var alice = await app.JoinAsMemberAsync("lobby");

        Assert.Equal(201, (await app.SendTextAsync(alice, "once", clientMessageId: "c-1")).Status);
        Assert.Equal(200, (await app.SendTextAsync(alice, "once", clientMessageId: "c-1")).Status);

        Assert.Equal(1, Sum(accepted));
        Assert.Equal(1, Sum(deliveries, "path", "queue"));
    }

    [Fact]
    public async Task APollWhoseInboxDisappearsWhileItWaitsIsCountedAsGone()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var poll = app.PollAsync("lobby", alice.Token, "timeout=30");
        await WaitUntilAsync(() => app.Inboxes.ReceiveCalls >= 1);

        await app.LeaveAsync("lobby", alice.Token, alice.UserId);

        (await poll.WaitAsync(TimeSpan.FromSeconds(10))).AssertProblem(410);
        Assert.Equal(1, Sum(polls, "outcome", "gone"));
        Assert.Equal(0, Sum(polls, "outcome", "empty") + Sum(polls, "outcome", "messages"));
    }

    [Fact]
    public void EveryInstrumentHasAUnitAndADescriptionAndTheFanOutHistogramHasSecondBuckets()
    {
        var instruments = new List<Instrument>();
        using var listener = new MeterListener { InstrumentPublished = (instrument, _) => instruments.Add(instrument) };
        listener.Start();
        _ = new ChatMetrics(app.Services.GetRequiredService<IMeterFactory>());

        var ours = instruments.Where(i => i.Meter.Name is ChatMetrics.MeterName or ChatMetrics.StorageMeterName).ToList();
        Assert.Equal(
            [ChatMetrics.MessagesAcceptedName, ChatMetrics.DeliveriesName, ChatMetrics.PollsName, ChatMetrics.FanOutDurationName, ChatMetrics.StorageOperationsName],
            ours.Select(i => i.Name).Distinct());
        Assert.All(ours, i => Assert.False(string.IsNullOrWhiteSpace(i.Unit)));
        Assert.All(ours, i => Assert.False(string.IsNullOrWhiteSpace(i.Description)));
        var histogram = Assert.IsType<Histogram<double>>(ours.First(i => i.Name == ChatMetrics.FanOutDurationName));
        Assert.Equal("s", histogram.Unit);
        Assert.Equal(ChatMetrics.FanOutBuckets, histogram.Advice!.HistogramBucketBoundaries);
    }

    [Fact]
    public async Task AFanOutRoundIsASpanUnderTheSendThatStartedIt()
    {
        var room = "spans-" + Guid.NewGuid().ToString("N")[..8];
        using var rounds = new FanOutSpans(room);
        var alice = await app.JoinAsMemberAsync(room);

        using (var request = FanOutSpans.Requests.StartActivity("POST messages", ActivityKind.Server))
        {
            Assert.Equal(201, (await app.SendTextAsync(alice, "traced")).Status);
            var round = Assert.Single(rounds.Stopped);
            Assert.Equal(request!.TraceId, round.TraceId);
            Assert.Equal(request.SpanId, round.ParentSpanId);
            Assert.Equal(ActivityKind.Internal, round.Kind);
            Assert.Equal(1, round.GetTagItem("chat.fanout.messages"));
        }
    }

    [Fact]
    public async Task AGroupCommitRoundIsASpanUnderTheFirstSendThatWaitedForItNotUnderTheSendOfTheRoundBefore()
    {
        var room = "spans-" + Guid.NewGuid().ToString("N")[..8];
        using var rounds = new FanOutSpans(room);
        var alice = await app.JoinAsMemberAsync(room);
        var gated = new HeldFirstPut(app.Inboxes);
        var fanOut = ActivatorUtilities.CreateInstance<MessageFanOut>(app.Services, ActivatorUtilities.CreateInstance<QueuePuts>(app.Services, (IInboxes)gated));
        var ids = app.Services.GetRequiredService<MessageIds>();
        ChatMessage Message(string text) => new(ids.Next().Id, room, alice.UserId, alice.Name, text, app.Clock.GetUtcNow());

        Task Send(string name, string text, out ActivitySpanId span)
        {
            using var request = FanOutSpans.Requests.StartActivity(name, ActivityKind.Server)!;
            span = request.SpanId;
            return fanOut.DeliverAsync(Message(text), CancellationToken.None);
        }

        var first = Send("first send", "m1", out var firstSpan);
        await gated.FirstPutHeld.WaitAsync(TimeSpan.FromSeconds(10));
        var second = Send("second send", "m2", out var secondSpan);
        var third = Send("third send", "m3", out _);
        gated.Release();
        await Task.WhenAll(first, second, third).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal([firstSpan, secondSpan], rounds.Stopped.Select(r => r.ParentSpanId));
        Assert.Equal([1, 2], rounds.Stopped.Select(r => (int)r.GetTagItem("chat.fanout.messages")!));
    }

    /// <summary>Records the fan-out spans of one room (the listener sees every test's spans) and creates test "request" spans.</summary>
    private sealed class FanOutSpans : IDisposable
    {
        public const string RequestsSourceName = "FunctionsChat.Tests";
        public static readonly ActivitySource Requests = new(RequestsSourceName);
        private readonly List<Activity> stopped = [];
        private readonly ActivityListener listener;

        public FanOutSpans(string room)
        {
            listener = new ActivityListener
            {
                ShouldListenTo = source => source.Name is ChatTracing.SourceName or RequestsSourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = activity =>
                {
                    if (activity.OperationName == ChatTracing.FanOutActivityName && Equals(activity.GetTagItem("chat.room"), room))
                    {
                        lock (stopped)
                        {
                            stopped.Add(activity);
                        }
                    }
                },
            };
            ActivitySource.AddActivityListener(listener);
        }

        public IReadOnlyList<Activity> Stopped
        {
            get
            {
                lock (stopped)
                {
                    return stopped.ToList();
                }
            }
        }

        public void Dispose() => listener.Dispose();
    }

    public void Dispose()
    {
        accepted.Dispose();
        deliveries.Dispose();
        polls.Dispose();
        fanOutDuration.Dispose();
    }

    private static long Sum(MetricCollector<long> collector) => collector.GetMeasurementSnapshot().Sum(m => m.Value);

    private static long Sum(MetricCollector<long> collector, string tag, string value) =>
        collector.GetMeasurementSnapshot().Where(m => m.Tags.TryGetValue(tag, out var v) && Equals(v, value)).Sum(m => m.Value);
}
