using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace FunctionsChat.DevServer.Tests;

/// <summary>Discovery and timer running against the sample functions below (this test assembly stands in for Functions).</summary>
public sealed class DiscoveryTests
{
    private static readonly System.Reflection.Assembly Samples = typeof(DiscoveryTests).Assembly;

    [Fact]
    public void AnHttpFunctionWithAParameterDevServerCannotBindFailsAtStartup()
    {
        var error = Assert.Throws<DevServerException>(() => FunctionRoutes.Discover(Samples));

        Assert.Contains("'Unbindable'", error.Message);
        Assert.Contains("'count'", error.Message);
    }

    [Fact]
    public async Task TimerFunctionsRunOnTheirScheduleAndKeepRunningAfterAFailure()
    {
        var timers = TimerFunctions.Discover(Samples, new ConfigurationBuilder().Build());
        Assert.Equal("EverySecond", Assert.Single(timers).Name);
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var calls = new TimerCalls();
        using var services = new ServiceCollection().AddSingleton(calls).BuildServiceProvider();
        using var runner = new TimerFunctions(timers, services.GetRequiredService<IServiceScopeFactory>(), clock, NullLogger<TimerFunctions>.Instance);

        await runner.StartAsync(CancellationToken.None);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (calls.Count < 3 && DateTime.UtcNow < deadline)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(20);
        }
        await runner.StopAsync(CancellationToken.None);

        // The first call threw; the schedule went on.
        Assert.True(calls.Count >= 3, $"timer ran {calls.Count} times");
        Assert.All(calls.Infos, info => Assert.NotNull(info.ScheduleStatus));
    }
}

public sealed class TimerCalls
{
    public List<TimerInfo> Infos { get; } = [];

    public int Count
    {
        get
        {
            lock (Infos)
            {
                return Infos.Count;
            }
        }
    }
}

public sealed class EverySecond(TimerCalls calls)
{
    [Function(nameof(EverySecond))]
    public Task Run([TimerTrigger("* * * * * *")] TimerInfo timer, CancellationToken cancellationToken)
    {
        lock (calls.Infos)
        {
            calls.Infos.Add(timer);
            if (calls.Infos.Count == 1)
            {
                throw new InvalidOperationException("first run fails");
            }
        }
        return Task.CompletedTask;
    }
}

public sealed class Unbindable
{
    [Function(nameof(Unbindable))]
    public Task<IActionResult> Run([HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "things/{count}")] HttpRequest request, int count) =>
        Task.FromResult<IActionResult>(new OkResult());
}
