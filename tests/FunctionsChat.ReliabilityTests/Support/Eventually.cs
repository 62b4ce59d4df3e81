using System.Diagnostics;

namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>Waits by polling a condition, never by a fixed sleep, with a generous bound and a diagnosis on timeout.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultInterval = TimeSpan.FromMilliseconds(250);

    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, Func<Task<string>>? diagnose = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await condition())
            {
                return;
            }
            if (clock.Elapsed > timeout)
            {
                var details = diagnose is null ? "" : "\n" + await diagnose();
                throw new TimeoutException($"Not within {timeout.TotalSeconds:0} s: {what}.{details}");
            }
            await Task.Delay(DefaultInterval);
        }
    }

    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what, Func<string>? diagnose = null) =>
        UntilAsync(() => Task.FromResult(condition()), timeout, what, diagnose is null ? null : () => Task.FromResult(diagnose()));
}
