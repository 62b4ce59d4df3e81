namespace FunctionsChat.Simulation.Sim;

/// <summary>
/// The simulation's one scheduler. Every piece of work (an instance's continuations, a client's, a timer's callback)
/// is a <see cref="Task"/> queued here and run one at a time, in FIFO order, on the thread that calls
/// <see cref="Run"/>. Work belongs to an <see cref="Owner"/> (an app instance, or the simulation itself): an await
/// captures its owner's <see cref="SynchronizationContext"/> and <see cref="TaskScheduler"/>, so a continuation comes
/// back here tagged with the owner, and when an owner crashes its queued work is simply never run.
/// Time (<see cref="SimClock"/>) moves only when nothing is runnable, straight to the next timer.
/// </summary>
public sealed class SimLoop
{
    private readonly Queue<(Owner Owner, Task Task)> ready = new();
    private readonly Lock gate = new();
    private readonly PriorityQueue<SimTimer, (long Due, long Sequence)> timers = new();
    private long sequence;
    private int threadId;

    public SimLoop(DateTimeOffset start)
    {
        Clock = new SimClock(this, start);
        Root = new Owner(this, "sim");
    }

    public SimClock Clock { get; }

    /// <summary>The simulation's own work: clients, the operator, response delivery.</summary>
    public Owner Root { get; }

    /// <summary>Work or timers that came from another thread (should stay 0: such work ran outside the scheduler).</summary>
    public int StrayPosts { get; private set; }

    /// <summary>Work this loop's thread handed to the thread pool while running the simulation (should stay 0).</summary>
    public int PoolEscapes { get; private set; }

    /// <summary>Where the first escape to the thread pool was queued from.</summary>
    public string? FirstEscape { get; private set; }

    internal void PoolWorkQueued(string stackTrace)
    {
        PoolEscapes++;
        FirstEscape ??= stackTrace;
    }

    /// <summary>Exceptions thrown by posted delegates (not by tasks, whose exceptions their awaiters see).</summary>
    public List<Exception> Unhandled { get; } = [];

    /// <summary>Work items run so far.</summary>
    public long Steps { get; private set; }

    public Owner NewOwner(string name) => new(this, name);

    internal void Enqueue(Owner owner, Task task)
    {
        lock (gate)
        {
            if (threadId != 0 && Environment.CurrentManagedThreadId != threadId)
            {
                StrayPosts++;
            }
            ready.Enqueue((owner, task));
        }
    }

    internal long NextSequence() => ++sequence;

    internal bool Started => threadId != 0;

    internal bool OnLoopThread => Environment.CurrentManagedThreadId == threadId;

    internal void Arm(SimTimer timer, long due, long timerSequence)
    {
        ArgumentNullException.ThrowIfNull(timer);
        lock (gate)
        {
            if (threadId != 0 && Environment.CurrentManagedThreadId != threadId)
            {
                StrayPosts++; // something escaped to the thread pool and set a timer
            }
            timers.Enqueue(timer, (due, timerSequence));
        }
    }

    /// <summary>Runs <paramref name="action"/> as work of <paramref name="owner"/>.</summary>
    public void Post(Owner owner, Action action) => new OwnerContext(this, owner).Post(static s => ((Action)s!)(), action);

    /// <summary>Runs <paramref name="action"/> as work of <paramref name="owner"/> after <paramref name="delay"/>.</summary>
    public void PostAfter(Owner owner, TimeSpan delay, Action action)
    {
        var timer = new SimTimer(this, owner, _ => action(), null);
        timer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>A delay on the simulated clock, owned by whoever is running now.</summary>
    public Task Delay(TimeSpan delay, CancellationToken cancellationToken = default) => Task.Delay(delay, Clock, cancellationToken);

    /// <summary>
    /// Runs work until <paramref name="until"/> (simulated) or until <paramref name="done"/> says so, whichever first.
    /// </summary>
    public void Run(DateTimeOffset until, Func<bool>? done = null)
    {
        PoolWatch.Ensure();
        threadId = Environment.CurrentManagedThreadId;
        var previous = SynchronizationContext.Current;
        PoolWatch.Running = this;
        try
        {
            while (true)
            {
                RunReady();
                if (done?.Invoke() == true)
                {
                    return;
                }
                SimTimer? timer;
                (long Due, long Sequence) at;
                lock (gate)
                {
                    if (!timers.TryPeek(out timer, out at) || at.Due > until.UtcTicks)
                    {
                        Clock.Set(until.UtcTicks);
                        return;
                    }
                    timers.Dequeue();
                }
                if (timer!.Sequence != at.Sequence)
                {
                    continue; // re-armed or disposed since
                }
                if (at.Due > Clock.Ticks)
                {
                    Clock.Set(at.Due);
                }
                timer.Fire();
            }
        }
        finally
        {
            PoolWatch.Running = null;
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>Runs everything runnable.</summary>
    private void RunReady()
    {
        while (true)
        {
            (Owner Owner, Task Task) item;
            bool found;
            lock (gate)
            {
                found = ready.TryDequeue(out item);
            }
            if (!found)
            {
                return;
            }
            if (item.Owner.Dead)
            {
                continue;
            }
            Steps++;
            // A new context object for each piece of work: an await captures it, and a completion in another piece of
            // work then sees a different context and posts the continuation instead of running it inline (inline, the
            // continuation would run with no current task, so TaskScheduler.Current would be the thread pool's, and
            // Parallel.ForEachAsync in QueuePuts would escape to it).
            SynchronizationContext.SetSynchronizationContext(new OwnerContext(this, item.Owner));
            item.Owner.Scheduler.Execute(item.Task);
            SynchronizationContext.SetSynchronizationContext(null);
        }
    }
}

/// <summary>Who a piece of work belongs to: an app instance or the simulation. A dead owner's work never runs again.</summary>
public sealed class Owner
{
    internal Owner(SimLoop loop, string name)
    {
        Name = name;
        Scheduler = new OwnerScheduler(loop, this);
    }

    public string Name { get; }

    public bool Dead { get; set; }

    internal OwnerScheduler Scheduler { get; }

    /// <summary>Starts <paramref name="work"/> as this owner's work (queued, not inline).</summary>
    public Task<T> Start<T>(Func<Task<T>> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler).Unwrap();

    public Task Start(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler).Unwrap();

    public override string ToString() => Name;
}

internal sealed class OwnerScheduler(SimLoop loop, Owner owner) : TaskScheduler
{
    // As the thread pool's: Parallel.ForEachAsync takes its parallelism from this.
    public override int MaximumConcurrencyLevel => int.MaxValue;

    internal void Execute(Task task) => TryExecuteTask(task);

    protected override void QueueTask(Task task) => loop.Enqueue(owner, task);

    // Never inline: every piece of work goes through the queue, so its order is the queue's.
    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => false;

    protected override IEnumerable<Task>? GetScheduledTasks() => null;
}

internal sealed class OwnerContext(SimLoop loop, Owner owner) : SynchronizationContext
{
    public Owner Owner => owner;

    public override void Post(SendOrPostCallback d, object? state) =>
        Task.Factory.StartNew(() =>
        {
            try
            {
                d(state);
            }
            catch (Exception e)
            {
                loop.Unhandled.Add(e);
            }
        }, CancellationToken.None, TaskCreationOptions.DenyChildAttach, owner.Scheduler);

    public override void Send(SendOrPostCallback d, object? state) => d(state);

    public override SynchronizationContext CreateCopy() => new OwnerContext(loop, owner);
}

/// <summary>Simulated time: it moves only when the loop jumps to the next timer.</summary>
public sealed class SimClock(SimLoop loop, DateTimeOffset start) : TimeProvider
{
    public long Ticks { get; private set; } = start.UtcTicks;

    public DateTimeOffset Start { get; } = start;

    public TimeSpan Elapsed => TimeSpan.FromTicks(Ticks - Start.UtcTicks);

    internal void Set(long ticks) => Ticks = Math.Max(Ticks, ticks);

    public override DateTimeOffset GetUtcNow() => new(Ticks, TimeSpan.Zero);


    public override long GetTimestamp() => Ticks;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var owner = SynchronizationContext.Current is OwnerContext context ? context.Owner : loop.Root;
        var timer = new SimTimer(loop, owner, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }
}

/// <summary>A timer on the simulated clock; its callback runs as its owner's work.</summary>
internal sealed class SimTimer(SimLoop loop, Owner owner, TimerCallback callback, object? state) : ITimer
{
    private long period = -1;

    public long Sequence { get; private set; }

    public bool Change(TimeSpan dueTime, TimeSpan period)
    {
        Sequence = loop.NextSequence();
        this.period = period == Timeout.InfiniteTimeSpan || period <= TimeSpan.Zero ? -1 : period.Ticks;
        if (dueTime != Timeout.InfiniteTimeSpan)
        {
            loop.Arm(this, loop.Clock.Ticks + Math.Max(0, dueTime.Ticks), Sequence);
        }
        return true;
    }

    internal void Fire()
    {
        if (period > 0)
        {
            Sequence = loop.NextSequence();
            loop.Arm(this, loop.Clock.Ticks + period, Sequence);
        }
        loop.Post(owner, () => callback(state));
    }

    public void Dispose() => Sequence = loop.NextSequence();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
