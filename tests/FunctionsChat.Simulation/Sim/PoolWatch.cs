using System.Diagnostics.Tracing;

namespace FunctionsChat.Simulation.Sim;

/// <summary>
/// Sees work that the simulation's thread hands to the thread pool while a <see cref="SimLoop"/> runs on it: such work
/// would run outside the simulation's scheduler and clock, at a moment the seed does not decide. The app keeps to the
/// scheduler it was called on (its waits go through <c>Waits</c>, and DI's compiling engine is off here), so every
/// run should count none; <see cref="Cluster"/> fails a run that counts any, naming where the first came from.
/// Listens to the thread pool's enqueue event (FrameworkEventSource, ThreadPool keyword), raised on the queuing thread.
/// </summary>
internal sealed class PoolWatch : EventListener
{
    private const string Framework = "System.Diagnostics.Eventing.FrameworkEventSource";
    private const int EnqueueEvent = 30;

    private static readonly Lazy<PoolWatch> Instance = new(() => new PoolWatch());

    [ThreadStatic] private static SimLoop? running;

    private static volatile bool enqueueSeen;

    /// <summary>Starts listening, and returns once enqueue events are seen (they start a little after the listener).</summary>
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

    /// <summary>The loop that runs on this thread now (null: none).</summary>
    public static SimLoop? Running
    {
        get => running;
        set => running = value;
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == Framework)
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x2);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (e.EventId != EnqueueEvent || e.EventSource.Name != Framework)
        {
            return;
        }
        enqueueSeen = true;
        running?.PoolWorkQueued(Environment.StackTrace);
    }
}
