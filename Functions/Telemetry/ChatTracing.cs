using System.Diagnostics;

namespace FunctionsChat.Telemetry;

/// <summary>
/// The chat's spans. Fan-out rounds are spans as well as a histogram because Application Insights keeps only the sum,
/// count, min and max of a histogram: percentiles of round durations come from these spans (the dependencies table).
/// </summary>
public static class ChatTracing
{
    public const string SourceName = "FunctionsChat";
    public const string FanOutActivityName = "chat.fanout";

    internal static readonly ActivitySource Source = new(SourceName);

    /// <summary>
    /// A span for one fan-out round, child of the send that started the round (the one that waited longest), or null when
    /// nobody listens. Later sends of a group-commit round are counted in <c>chat.fanout.messages</c>.
    /// </summary>
    internal static Activity? StartFanOut(string room, ActivityContext firstSender, int messages)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var activity = Source.StartActivity(FanOutActivityName, ActivityKind.Internal, firstSender);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("chat.room", room);
            activity.SetTag("chat.fanout.messages", messages);
        }
        return activity;
    }
}
