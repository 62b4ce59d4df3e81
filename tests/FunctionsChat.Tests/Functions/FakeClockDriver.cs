using Microsoft.Extensions.Time.Testing;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// The one way tests move a fake clock: in small steps, with a short real pause before each, so the app's timers fire
/// and the work they start runs before the clock moves on. And the one way they wait for background work they cannot
/// drive: a condition polled in real time, failing the test when it never holds.
/// </summary>
public static class FakeClockDriver
{
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);

    /// <summary>Waits (real time, up to 5 s) until <paramref name="condition"/> holds; fails the test if it never does.</summary>
    public static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }
        Assert.True(condition());
    }

    /// <summary>Moves the clock <paramref name="total"/> forward in steps of <see cref="Step"/>.</summary>
    public static async Task AdvanceAsync(this FakeTimeProvider clock, TimeSpan total)
    {
        for (var passed = TimeSpan.Zero; passed < total; passed += Step)
        {
            await Task.Delay(10);
            clock.Advance(Step);
        }
    }

    /// <summary>Moves the clock in steps until <paramref name="condition"/> holds, at most <paramref name="maxSteps"/>; fails the test if it never does.</summary>
    public static Task AdvanceUntilAsync(this FakeTimeProvider clock, Func<bool> condition, int maxSteps = 200) =>
        clock.AdvanceUntilAsync(() => Task.FromResult(condition()), maxSteps);

    public static async Task AdvanceUntilAsync(this FakeTimeProvider clock, Func<Task<bool>> condition, int maxSteps = 200)
    {
        for (var i = 0; i < maxSteps && !await condition(); i++)
        {
            await Task.Delay(10);
            clock.Advance(Step);
        }
        Assert.True(await condition());
    }
}
