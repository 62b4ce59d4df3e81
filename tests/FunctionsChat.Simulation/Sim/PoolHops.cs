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
    private const string Framework = "System.Diagnostics.Eventing.FrameworkEventSource";
    private const int EnqueueEvent = 30;
    private const int DequeueEvent = 31;

    private static readonly Lazy<PoolHops> Instance = new(() => new PoolHops());
    private static readonly ConcurrentDictionary<long, (SimLoop Loop, long Sequence)> Queued = new();

    [ThreadStatic] private static SimLoop? running;
    [ThreadStatic] private static SimLoop? hopOf;
    [ThreadStatic] private static long hopSequence;
    [ThreadStatic] private static bool hopEnded;

    private static volatile bool enqueueSeen;

    /// <summary>Starts listening, and returns once the thread pool's enqueue events are seen (they start a little later).</summary>
    public static void Ensure()
    {
        _ = Instance.Value;
        var started = Environment.TickCount64;
        while (!enqueueSeen && Environment.TickCount64 - started < 5_000)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static _ => { }, null);
            Thread.Sleep(1);
        }
    }

    /// <summary>The loop whose work this thread runs now (null: none).</summary>
    public static SimLoop? Running
    {
        get => running;
        set => running = value;
    }

    /// <summary>The hop with this id (as the enqueue event named it), if it is one of <paramref name="loop"/>'s: taken.</summary>
    public static long? Take(SimLoop loop, long id) =>
        Queued.TryGetValue(id, out var hop) && hop.Loop == loop && Queued.TryRemove(id, out _) ? hop.Sequence : null;

    /// <summary>The hop this (pool) thread is running for <paramref name="loop"/>, if any.</summary>
    public static long? RunningHopOf(SimLoop loop) => hopOf == loop ? hopSequence : null;

    /// <summary>
    /// This (pool) thread's hop posted to its loop: it counts as ended (a hop posts once: the one await it resumes),
    /// so the loop need not wait for the thread to take other work or go idle, which it may not report for long.
    /// </summary>
    public static void Posted()
    {
        if (hopOf is { } loop && !hopEnded)
        {
            hopEnded = true;
            loop.HopEnded(hopSequence);
        }
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == Framework)
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x2); // ThreadPool: enqueue and dequeue
        }
        else if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Informational, (EventKeywords)0x10000); // Threading: a worker about to wait
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventId == EnqueueEvent && e.EventSource.Name == Framework)
        {
            enqueueSeen = true;
            if (running is { } loop && e.Payload is [long id, ..])
            {
                Queued[id] = (loop, loop.HopQueued());
            }
        }
        else if (e.EventId == DequeueEvent && e.EventSource.Name == Framework)
        {
            EndHop();
            if (e.Payload is [long id, ..] && Queued.TryRemove(id, out var hop))
            {
                hopOf = hop.Loop;
                hopSequence = hop.Sequence;
                hopEnded = false;
            }
        }
        else if (e.EventName == "ThreadPoolWorkerThreadWait")
        {
            EndHop();
        }
    }

    /// <summary>The work item this thread ran last has ended (it takes another, or it ran out of work).</summary>
    private static void EndHop()
    {
        if (hopOf is { } loop && !hopEnded)
        {
            hopEnded = true;
            loop.HopEnded(hopSequence);
        }
        hopOf = null;
    }
}
