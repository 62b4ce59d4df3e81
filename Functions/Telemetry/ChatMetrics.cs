using System.Diagnostics.Metrics;

namespace FunctionsChat.Telemetry;

/// <summary>How a fanned-out message reached one member.</summary>
public enum DeliveryPath
{
    /// <summary>Handed to that member's long poll waiting on this instance: no queue call at all.</summary>
    Handover,

    /// <summary>Put on the member's queue (it was between polls, or polling on another instance).</summary>
    Queue,

    /// <summary>Handed over to the instance where that member's poll waited, which gave it to the poll: no queue call.</summary>
    Relay,
}

/// <summary>How a long poll was answered.</summary>
public enum PollOutcome
{
    Messages,
    Empty,

    /// <summary>The member's inbox is gone (left or expired): answered 410.</summary>
    Gone,
}

/// <summary>
/// Owns the chat's instruments: the <c>FunctionsChat</c> meter (messages, deliveries, polls, fan-out rounds) and the
/// <c>FunctionsChat.Storage</c> meter (every request to Azure Storage). Meters come from <see cref="IMeterFactory"/>,
/// so each service provider (each test) has its own. Tags are built once: a measurement on the long-poll path is one
/// Add with a preallocated tag and allocates nothing.
/// </summary>
public sealed class ChatMetrics
{
    public const string MeterName = "FunctionsChat";
    public const string StorageMeterName = "FunctionsChat.Storage";

    public const string MessagesAcceptedName = "chat.messages.accepted";
    public const string DeliveriesName = "chat.deliveries";
    public const string PollsName = "chat.polls";
    public const string FanOutDurationName = "chat.fanout.duration";
    public const string StorageOperationsName = "chat.storage.operations";

    /// <summary>Seconds; a round is one member-list read plus parallel queue puts, so most fall between 5 ms and 1 s.</summary>
    internal static readonly double[] FanOutBuckets = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];

    private static readonly KeyValuePair<string, object?> HandoverTag = new("path", "handover");
    private static readonly KeyValuePair<string, object?> RelayTag = new("path", "relay");
    private static readonly KeyValuePair<string, object?> QueueTag = new("path", "queue");
    private static readonly KeyValuePair<string, object?> MessagesTag = new("outcome", "messages");
    private static readonly KeyValuePair<string, object?> EmptyTag = new("outcome", "empty");
    private static readonly KeyValuePair<string, object?> GoneTag = new("outcome", "gone");

    private readonly Counter<long> messagesAccepted;
    private readonly Counter<long> deliveries;
    private readonly Counter<long> polls;
    private readonly Histogram<double> fanOutDuration;
    private readonly Counter<long> storageOperations;

    public ChatMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        messagesAccepted = meter.CreateCounter<long>(MessagesAcceptedName, "{message}",
            "Messages stored in a room's history; a retried send that stored nothing new is not counted");
        deliveries = meter.CreateCounter<long>(DeliveriesName, "{message}",
            "Copies of messages delivered to members by fan-out, by path: handover (to a poll waiting on this instance) or queue");
        polls = meter.CreateCounter<long>(PollsName, "{poll}",
            "Long polls answered, by outcome: messages, empty (the wait ran out) or gone (the member's inbox no longer exists)");
        fanOutDuration = meter.CreateHistogram(FanOutDurationName, "s",
            "Duration of one fan-out round: the member list read plus every hand-over and queue put of the round",
            tags: null, advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FanOutBuckets });

        var storage = meterFactory.Create(StorageMeterName);
        storageOperations = storage.CreateCounter<long>(StorageOperationsName, "{operation}",
            "Requests sent to Azure Storage, retries included (each is billed), by service: table or queue");
    }

    public void MessageAccepted() => messagesAccepted.Add(1);

    public void Delivered(DeliveryPath path, int messages) =>
        deliveries.Add(messages, path switch
        {
            DeliveryPath.Handover => HandoverTag,
            DeliveryPath.Relay => RelayTag,
            _ => QueueTag,
        });

    public void PollAnswered(PollOutcome outcome) => polls.Add(1, outcome switch
    {
        PollOutcome.Messages => MessagesTag,
        PollOutcome.Empty => EmptyTag,
        _ => GoneTag,
    });

    public void FanOutRound(TimeSpan duration) => fanOutDuration.Record(duration.TotalSeconds);

    /// <summary>One storage request; <paramref name="serviceTag"/> is the caller's preallocated <c>service</c> tag.</summary>
    public void StorageOperation(KeyValuePair<string, object?> serviceTag) => storageOperations.Add(1, serviceTag);
}
