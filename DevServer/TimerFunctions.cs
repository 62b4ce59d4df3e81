using System.Text.Json;
using Cronos;
using FunctionsChat.DevServer.Rpc;
using FunctionsChat.DevServer.Workers;

namespace FunctionsChat.DevServer;

/// <summary>
/// Runs every timer function the worker reported on its schedule (six-field NCRONTAB, UTC like the host's default),
/// as an <c>InvocationRequest</c> carrying a <c>TimerInfo</c> as JSON. A failure is logged and the next occurrence runs
/// as usual. Unlike the host there is no cross-instance lock: two DevServers both run the timer, which the cleanup
/// tolerates.
/// </summary>
public sealed class TimerFunctions(IReadOnlyList<TimerFunction> timers, WorkerPool pool, IConfiguration configuration, TimeProvider clock, ILogger<TimerFunctions> logger)
    : BackgroundService
{
    /// <summary>The schedule to run: "%Name%" takes it from a setting, as in the host.</summary>
    public static CronExpression Parse(TimerFunction timer, IConfiguration configuration)
    {
        var schedule = timer.Schedule is ['%', .. var setting, '%']
            ? configuration[setting] ?? throw new DevServerException($"Timer function '{timer.Name}' reads its schedule from the missing setting '{setting}'.")
            : timer.Schedule;
        return CronExpression.TryParse(schedule, CronFormat.IncludeSeconds, out var cron)
            ? cron
            : throw new DevServerException($"Timer function '{timer.Name}': '{schedule}' is not a six-field NCRONTAB schedule DevServer can run.");
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(timers.Select(timer => RunAsync(timer, Parse(timer, configuration), stoppingToken)));

    private async Task RunAsync(TimerFunction timer, CronExpression cron, CancellationToken stoppingToken)
    {
        logger.LogInformation("Timer function {Name} runs on '{Schedule}' (UTC).", timer.Name, timer.Schedule);
        DateTime? last = null;
        if (timer.RunOnStartup)
        {
            last = clock.GetUtcNow().UtcDateTime;
            await InvokeAsync(timer, cron, last.Value, null, stoppingToken);
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            if (cron.GetNextOccurrence(now.UtcDateTime) is not { } due)
            {
                return;
            }
            try
            {
                await Task.Delay(due - now.UtcDateTime, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            await InvokeAsync(timer, cron, due, last, stoppingToken);
            last = due;
        }
    }

    private async Task InvokeAsync(TimerFunction timer, CronExpression cron, DateTime due, DateTime? last, CancellationToken stoppingToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        // The shape the host serializes TimerInfo in.
        var info = new
        {
            Schedule = new { AdjustForDST = true },
            ScheduleStatus = new { Last = last ?? default, Next = cron.GetNextOccurrence(due) ?? default, LastUpdated = now },
            IsPastDue = now - due > TimeSpan.FromSeconds(5),
        };
        try
        {
            var worker = await pool.PickAsync(stoppingToken);
            try
            {
                var invocation = worker.NewInvocation(timer.Name);
                invocation.InputData.Add(new ParameterBinding { Name = timer.TriggerParameter, Data = new TypedData { Json = JsonSerializer.Serialize(info) } });
                using var cancel = stoppingToken.Register(() => worker.Cancel(invocation.InvocationId));
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                var result = await worker.InvokeAsync(invocation, CancellationToken.None);
                var milliseconds = (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                if (result.Result.Status == StatusResult.Types.Status.Success)
                {
                    logger.LogInformation("Executed 'Functions.{Name}' (Succeeded, Id={Id}, Duration={Duration}ms)", timer.Name, invocation.InvocationId, milliseconds);
                }
                else if (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogError("Timer function {Name} failed ({Status}); it runs again at its next occurrence.\n{Type}: {Message}\n{StackTrace}",
                        timer.Name, result.Result.Status, result.Result.Exception?.Type, result.Result.Exception?.Message, result.Result.Exception?.StackTrace);
                }
            }
            finally
            {
                // PickAsync counted it in: a stopping worker waits for it like for an HTTP invocation.
                worker.EndInvocation();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (WorkerUnavailableException e)
        {
            logger.LogError("Timer function {Name} did not run: {Reason}. It runs again at its next occurrence.", timer.Name, e.Message);
        }
    }
}
