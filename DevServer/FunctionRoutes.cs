using System.Reflection;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.DevServer;

/// <summary>One HTTP function as the Functions host sees it: name, route (without <c>api/</c>) and methods (lower case; empty = any).</summary>
public sealed record FunctionRoute(string Name, string Route, IReadOnlyList<string> Methods)
{
    internal MethodInfo Method { get; init; } = null!;

    internal Func<HttpContext, CancellationToken, object?>[] Binders { get; init; } = [];
}

/// <summary>
/// Mounts every <c>[Function]</c> with an <c>[HttpTrigger]</c> at <c>api/</c> + its route, calling the function class
/// through DI. Found by reflection, so a new function needs no change here; a test compares the table with the
/// build's functions.metadata.
/// </summary>
public static class FunctionRoutes
{
    public const string Prefix = "api/";

    /// <summary>The route table; throws at startup when a function has a parameter DevServer cannot bind.</summary>
    public static IReadOnlyList<FunctionRoute> Discover(Assembly functions) =>
        FunctionMethods.In(functions)
            .Where(f => FunctionMethods.HasTrigger<HttpTriggerAttribute>(f.Method))
            .Select(f => Describe(f.Name, f.Method))
            .OrderBy(r => r.Name, StringComparer.Ordinal)
            .ToList();

    public static IReadOnlyList<FunctionRoute> MapFunctions(this IEndpointRouteBuilder endpoints, Assembly functions)
    {
        var routes = Discover(functions);
        foreach (var route in routes)
        {
            var pattern = Prefix + route.Route;
            var endpoint = route.Methods.Count == 0
                ? endpoints.Map(pattern, context => InvokeAsync(route, context))
                : endpoints.MapMethods(pattern, route.Methods, context => InvokeAsync(route, context));
            endpoint.WithDisplayName(route.Name);
        }
        return routes;
    }

    private static FunctionRoute Describe(string name, MethodInfo method)
    {
        var trigger = method.GetParameters().Select(p => p.GetCustomAttribute<HttpTriggerAttribute>()).First(a => a is not null)!;
        // Same defaults as the host: no route means the function name, no methods means any method.
        var route = trigger.Route ?? name;
        var methods = (trigger.Methods ?? []).Select(m => m.ToLowerInvariant()).ToList();
        if (!typeof(Task<IActionResult>).IsAssignableFrom(method.ReturnType))
        {
            throw new DevServerException($"DevServer cannot call function '{name}': it returns {method.ReturnType.Name}, not Task<IActionResult>.");
        }
        var pattern = RoutePatternFactory.Parse(route);
        var binders = method.GetParameters().Select(parameter => Binder(name, parameter, pattern)).ToArray();
        return new FunctionRoute(name, route, methods) { Method = method, Binders = binders };
    }

    private static Func<HttpContext, CancellationToken, object?> Binder(string function, ParameterInfo parameter, RoutePattern pattern)
    {
        if (parameter.ParameterType == typeof(HttpRequest))
        {
            return (context, _) => context.Request;
        }
        if (parameter.ParameterType == typeof(CancellationToken))
        {
            return (_, cancellationToken) => cancellationToken;
        }
        if (parameter.ParameterType == typeof(string) && pattern.GetParameter(parameter.Name!) is not null)
        {
            var name = parameter.Name!;
            return (context, _) => context.Request.RouteValues[name]?.ToString();
        }
        throw FunctionMethods.Unsupported(function, parameter,
            "Supported: HttpRequest, CancellationToken, and string parameters named after a route value.");
    }

    private static async Task InvokeAsync(FunctionRoute route, HttpContext context)
    {
        // Like the host, cancel an invocation when its client goes away or the app stops; the latter keeps Ctrl+C
        // from waiting out a 30 s long poll.
        var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        var target = FunctionMethods.CreateTarget(route.Method, context.RequestServices);
        try
        {
            var arguments = route.Binders.Select(bind => bind(context, cancellation.Token)).ToArray();
            var result = await (Task<IActionResult>)route.Method.Invoke(target, BindingFlags.DoNotWrapExceptions, null, arguments, null)!;
            await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client left (nobody to answer), or DevServer is stopping: the client retries, as after a restart.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            }
        }
        finally
        {
            await FunctionMethods.DisposeTargetAsync(target);
        }
    }
}
