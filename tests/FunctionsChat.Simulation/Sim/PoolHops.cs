using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace FunctionsChat.Simulation.Sim;

/// <summary>
/// The one way the app's work leaves the simulation's scheduler: a task made with RunContinuationsAsynchronously
/// (WaitingPolls' wake, RoomWatcher's Changed and Nudge, MessageFanOut's Done) runs its Task.WhenAny and
/// Task.WaitAsync promises on the thread pool when it completes (a "hop"), and the hop then posts the awaiting code
/// back to the scheduler. The loop must not move the clock while a hop it caused is still on its way back.
/// This listener sees the thread pool's enqueue and dequeue events (FrameworkEventSource, ThreadPool keyword),
/// which are raised on the enqueuing and the dequeuing thread: a hop queued while a loop runs work on its thread is
/// that loop's, and it is done once its thread posted back to the loop or took another work item.
/// </summary>
internal sealed class PoolHops : EventListener
{
    private const int EnqueueEvent = 30;
    private const int DequeueEvent = 31;

    private static readonly Lazy<PoolHops> Instance = new(() => new PoolHops());
    private static readonly ConcurrentDictionary<long, SimLoop> Queued = new();

    [ThreadStatic] private static SimLoop? running;
    [ThreadStatic] private static SimLoop? hopOf;
    [ThreadStatic] private static bool hopPosted;

    public static void Ensure() => _ = Instance.Value;

    /// <summary>The loop whose work this thread runs now (null: none).</summary>
    public static SimLoop? Running
    {
        get => running;
        set => running = value;
    }

    /// <summary>Called when this (foreign) thread posts work to <paramref name="loop"/>.</summary>
    public static bool PostedTo(SimLoop loop)
    {
        if (hopOf != loop)
        {
            return false;
        }
        if (!hopPosted)
        {
            hopPosted = true;
            loop.HopEnded();
        }
        return true;
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "System.Diagnostics.Eventing.FrameworkEventSource")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x12); // ThreadPool | ThreadTransfer
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventId == EnqueueEvent)
        {
            if (running is { } loop && e.Payload is [long id, ..])
            {
                Queued[id] = loop;
                loop.HopQueued();
            }
        }
        else if (e.EventId == DequeueEvent)
        {
            // The work item this thread ran before has ended: if it was a hop that never posted, it ends here.
            if (hopOf is { } previous && !hopPosted)
            {
                previous.HopEnded();
            }
            hopOf = null;
            if (e.Payload is [long id, ..] && Queued.TryRemove(id, out var loop))
            {
                hopOf = loop;
                hopPosted = false;
            }
        }
    }
}
