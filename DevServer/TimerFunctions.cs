using System.Reflection;
using Cronos;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.DevServer;

/// <summary>One timer function: name, its NCRONTAB schedule (six fields, seconds first) and how to call it.</summary>
public sealed record TimerFunction(string Name, string Schedule, bool RunOnStartup)
{
    internal CronExpression Cron { get; init; } = null!;

    internal MethodInfo Method { get; init; } = null!;
}

/// <summary>
/// Runs every <c>[TimerTrigger]</c> function on its schedule (UTC, like the host's default). A failure is logged and
/// the next occurrence runs as usual. Unlike the host there is no cross-instance lock: two DevServers both run the timer,
/// which the cleanup tolerates.
/// </summary>
public sealed class TimerFunctions(IReadOnlyList<TimerFunction> timers, IServiceScopeFactory scopes, TimeProvider clock, ILogger<TimerFunctions> logger)
    : BackgroundService
{
    public static IReadOnlyList<TimerFunction> Discover(Assembly functions, IConfiguration configuration) =>
        FunctionMethods.In(functions)
            .Where(f => FunctionMethods.HasTrigger<TimerTriggerAttribute>(f.Method))
            .Select(f => Describe(f.Name, f.Method, configuration))
            .OrderBy(t => t.Name, StringComparer.Ordinal)
            .ToList();

    private static TimerFunction Describe(string name, MethodInfo method, IConfiguration configuration)
    {
        var trigger = method.GetParameters().Select(p => p.GetCustomAttribute<TimerTriggerAttribute>()).First(a => a is not null)!;
        foreach (var parameter in method.GetParameters())
        {
            if (parameter.ParameterType != typeof(TimerInfo) && parameter.ParameterType != typeof(CancellationToken))
            {
                throw FunctionMethods.Unsupported(name, parameter, "Supported: TimerInfo and CancellationToken.");
            }
        }
        if (method.ReturnType != typeof(void) && !typeof(Task).IsAssignableFrom(method.ReturnType))
        {
            throw new DevServerException($"DevServer cannot call timer function '{name}': it returns {method.ReturnType.Name}, not Task or void.");
        }
        // "%Name%" takes the schedule from a setting, as in the host.
        var schedule = trigger.Schedule is ['%', .. var setting, '%']
            ? configuration[setting] ?? throw new DevServerException($"Timer function '{name}' reads its schedule from the missing setting '{setting}'.")
            : trigger.Schedule;
        if (!CronExpression.TryParse(schedule, CronFormat.IncludeSeconds, out var cron))
        {
            throw new DevServerException($"Timer function '{name}': '{schedule}' is not a six-field NCRONTAB schedule DevServer can run.");
        }
        return new TimerFunction(name, trigger.Schedule, trigger.RunOnStartup) { Cron = cron, Method = method };
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(timers.Select(timer => RunAsync(timer, stoppingToken)));

    private async Task RunAsync(TimerFunction timer, CancellationToken stoppingToken)
    {
        logger.LogInformation("Timer function {Name} runs on '{Schedule}' (UTC).", timer.Name, timer.Schedule);
        DateTime? last = null;
        if (timer.RunOnStartup)
        {
            last = clock.GetUtcNow().UtcDateTime;
            await InvokeAsync(timer, last.Value, null, stoppingToken);
        }
        while (!stoppingToken.IsCancellationRequested)
        {
            var now = clock.GetUtcNow();
            if (timer.Cron.GetNextOccurrence(now.UtcDateTime) is not { } due)
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
            await InvokeAsync(timer, due, last, stoppingToken);
            last = due;
        }
    }

    private async Task InvokeAsync(TimerFunction timer, DateTime due, DateTime? last, CancellationToken stoppingToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var info = new TimerInfo
        {
            IsPastDue = now - due > TimeSpan.FromSeconds(5),
            ScheduleStatus = new ScheduleStatus
            {
                Last = last ?? default,
                Next = timer.Cron.GetNextOccurrence(due) ?? default,
                LastUpdated = now,
            },
        };
        await using var scope = scopes.CreateAsyncScope();
        object? target = null;
        try
        {
            target = FunctionMethods.CreateTarget(timer.Method, scope.ServiceProvider);
            var arguments = timer.Method.GetParameters()
                .Select(p => p.ParameterType == typeof(TimerInfo) ? info : (object)stoppingToken)
                .ToArray();
            if (timer.Method.Invoke(target, BindingFlags.DoNotWrapExceptions, null, arguments, null) is Task task)
            {
                await task;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            logger.LogError(e, "Timer function {Name} failed; it runs again at its next occurrence.", timer.Name);
        }
        finally
        {
            await FunctionMethods.DisposeTargetAsync(target);
        }
    }
}
