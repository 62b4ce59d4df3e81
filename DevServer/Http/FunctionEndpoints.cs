using FunctionsChat.DevServer.Workers;

namespace FunctionsChat.DevServer.Http;

/// <summary>Every HTTP function the worker reported, at its route under host.json's prefix, for its methods.</summary>
public static class FunctionEndpoints
{
    public static void MapFunctions(this WebApplication app, FunctionIndex index, string routePrefix)
    {
        var invoker = app.Services.GetRequiredService<HttpFunctionInvoker>();
        foreach (var function in index.Http)
        {
            var pattern = routePrefix.Length == 0 ? function.Route : $"{routePrefix}/{function.Route}";
            var endpoint = function.Methods.Count == 0
                ? app.Map(pattern, context => invoker.InvokeAsync(context, function))
                : app.MapMethods(pattern, function.Methods, context => invoker.InvokeAsync(context, function));
            endpoint.WithDisplayName(function.Name);
        }
    }
}
