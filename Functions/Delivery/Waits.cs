namespace FunctionsChat.Delivery;

/// <summary>
/// Waits for a wake-up with a timeout or a token, as <c>Task.WhenAny</c> and <c>Task.WaitAsync</c> do, but resumes the
/// caller only through continuations queued to the caller's own scheduler. Those two complete on the thread pool when
/// the awaited task was made with RunContinuationsAsynchronously, as every wake-up here is. In the host that changes
/// nothing (the caller runs on the pool anyway); in the cluster simulation it keeps all work on the simulation's one
/// scheduler, so that a seed always gives the same run.
/// </summary>
public static class Waits
{
    /// <summary>
    /// True once <paramref name="task"/> has completed (its exception, if any, is thrown); false when
    /// <paramref name="timeout"/> passed first. Throws <see cref="OperationCanceledException"/> when the token fires first.
    /// </summary>
    public static Task<bool> ForAsync(Task task, TimeSpan timeout, TimeProvider clock, CancellationToken cancellationToken) =>
        FirstAsync(task, timeout, clock, cancellationToken);

    /// <summary>Completes as <paramref name="task"/> does, or throws <see cref="OperationCanceledException"/> when the token fires first.</summary>
    public static Task ForAsync(Task task, CancellationToken cancellationToken) =>
        FirstAsync(task, timeout: null, TimeProvider.System, cancellationToken);

    private static async Task<bool> FirstAsync(Task task, TimeSpan? timeout, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (!task.IsCompleted)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var first = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            // Cancelled once the wait is over, which also unhooks it from a task that may stay pending for long.
            using var stopWatching = new CancellationTokenSource();
            _ = task.ContinueWith(static (_, state) => ((TaskCompletionSource<bool>)state!).TrySetResult(true), first,
                stopWatching.Token, TaskContinuationOptions.None, TaskScheduler.Current);
            using var timer = timeout is { } after
                ? clock.CreateTimer(static state => ((TaskCompletionSource<bool>)state!).TrySetResult(false), first, after, Timeout.InfiniteTimeSpan)
                : null;
            using var cancelled = cancellationToken.UnsafeRegister(
                static (state, token) => ((TaskCompletionSource<bool>)state!).TrySetCanceled(token), first);
            try
            {
                if (!await first.Task)
                {
                    return false;
                }
            }
            finally
            {
                stopWatching.Cancel();
            }
        }
        await task;
        return true;
    }

    /// <summary>
    /// A token that fires when <paramref name="token"/> does or once <paramref name="after"/> has passed on
    /// <paramref name="clock"/>: for a call that must not hold up a loop for its whole network timeout.
    /// </summary>
    public static Deadline Within(TimeSpan after, TimeProvider clock, CancellationToken token) => new(after, clock, token);

    public sealed class Deadline : IDisposable
    {
        private readonly CancellationTokenSource timeout;
        private readonly CancellationTokenSource linked;

        internal Deadline(TimeSpan after, TimeProvider clock, CancellationToken token)
        {
            timeout = new CancellationTokenSource(after, clock);
            linked = CancellationTokenSource.CreateLinkedTokenSource(token, timeout.Token);
        }

        public CancellationToken Token => linked.Token;

        public void Dispose()
        {
            linked.Dispose();
            timeout.Dispose();
        }
    }
}
