using FunctionsChat.Delivery;
using Microsoft.Extensions.Time.Testing;

namespace FunctionsChat.Tests.Functions;

public sealed class WaitsTests
{
    private readonly FakeTimeProvider clock = new();

    [Fact]
    public async Task AWakeBeforeTheTimeoutAnswersTrue()
    {
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = Waits.ForAsync(wake.Task, TimeSpan.FromSeconds(5), clock, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        wake.SetResult();
        Assert.True(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TheTimeoutAnswersFalseAndNotBefore()
    {
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = Waits.ForAsync(wake.Task, TimeSpan.FromSeconds(5), clock, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(4.9));
        await Task.Delay(50);
        Assert.False(waiting.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.1));
        Assert.False(await waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TheTokenEndsTheWaitWithOperationCanceled()
    {
        var wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var leaving = new CancellationTokenSource();
        var waiting = Waits.ForAsync(wake.Task, leaving.Token);
        leaving.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task TheAwaitedTasksFailureReachesTheCaller()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waiting = Waits.ForAsync(done.Task, CancellationToken.None);
        done.SetException(new InvalidOperationException("round failed"));
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("round failed", thrown.Message);
    }
}
