using System.Reflection;
using System.Runtime.CompilerServices;

namespace FunctionsChat.Simulation.Sim;

/// <summary>
/// Runs the thread-pool work that the loop's own thread queued (see <see cref="PoolHops"/>) on the loop's thread,
/// right away, instead of waiting for a pool thread to run it and post back. The loop runs on a thread-pool thread,
/// so such work (queued with preferLocal, as the runtime does for RunContinuationsAsynchronously completions) lands in
/// that thread's own work-stealing queue, from which it is popped here. The queue is the runtime's internal one,
/// reached by reflection; where that fails (another runtime), <see cref="Available"/> is false and the loop falls back
/// to waiting for the hops to come back. Another pool thread can steal an item before it is popped: then the loop
/// waits for it as for any hop.
/// </summary>
internal static class LocalHops
{
    private static readonly FieldInfo? ThreadLocals;
    private static readonly FieldInfo? StealingQueue;
    private static readonly MethodInfo? LocalPop;
    private static readonly MethodInfo? ExecuteFromThreadPool;

    static LocalHops()
    {
        try
        {
            var locals = typeof(ThreadPool).Assembly.GetType("System.Threading.ThreadPoolWorkQueueThreadLocals");
            ThreadLocals = locals?.GetField("threadLocals", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic);
            StealingQueue = locals?.GetField("workStealingQueue", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic);
            LocalPop = StealingQueue?.FieldType.GetMethod("LocalPop", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic, []);
            ExecuteFromThreadPool = typeof(Task).GetMethod("ExecuteFromThreadPool", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(Thread)]);
        }
        catch (Exception)
        {
            ThreadLocals = null;
        }
    }

    public static bool Available => ThreadLocals is not null && StealingQueue is not null && LocalPop is not null && ExecuteFromThreadPool is not null;

    /// <summary>Pops one item of this thread's local pool queue, and the id its enqueue event gave it.</summary>
    public static bool TryRunOne(out object item, out long id)
    {
        item = null!;
        id = 0;
        if (!Available || ThreadLocals!.GetValue(null) is not { } locals || StealingQueue!.GetValue(locals) is not { } queue)
        {
            return false;
        }
        if (LocalPop!.Invoke(queue, null) is not { } popped)
        {
            return false;
        }
        item = popped;
        // As the thread pool's enqueue event names it (FrameworkEventSource.ThreadPoolEnqueueWorkObject).
        id = RuntimeHelpers.GetHashCode(popped);
        return true;
    }

    public static bool HasLocalWork() =>
        Available && ThreadLocals!.GetValue(null) is { } locals && StealingQueue!.GetValue(locals) is { } queue &&
        queue.GetType().GetProperty("CanSteal", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)?.GetValue(queue) is true;

    public static void Run(object item)
    {
        if (item is Task task)
        {
            ExecuteFromThreadPool!.Invoke(task, [Thread.CurrentThread]);
        }
        else
        {
            ((IThreadPoolWorkItem)item).Execute();
        }
    }
}
