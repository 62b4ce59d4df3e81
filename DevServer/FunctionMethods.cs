using System.Reflection;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.DevServer;

/// <summary>The methods the Functions host would index: public methods of public types marked <c>[Function]</c>.</summary>
internal static class FunctionMethods
{
    public static IEnumerable<(string Name, MethodInfo Method)> In(Assembly assembly) =>
        from type in assembly.GetExportedTypes()
        from method in type.GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
        let function = method.GetCustomAttribute<FunctionAttribute>()
        where function is not null
        select (function.Name, method);

    public static bool HasTrigger<TTrigger>(MethodInfo method) where TTrigger : Attribute =>
        method.GetParameters().Any(p => p.GetCustomAttribute<TTrigger>() is not null);

    /// <summary>A fresh instance per invocation, built from DI like the worker does (static functions need none).</summary>
    public static object? CreateTarget(MethodInfo method, IServiceProvider services) =>
        method.IsStatic ? null : ActivatorUtilities.CreateInstance(services, method.DeclaringType!);

    public static async ValueTask DisposeTargetAsync(object? target)
    {
        if (target is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else if (target is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    public static DevServerException Unsupported(string function, ParameterInfo parameter, string supported) =>
        new($"DevServer cannot call function '{function}': parameter '{parameter.Name}' ({parameter.ParameterType.Name}) is not " +
            $"supported. {supported} Extend DevServer's binding, or change the function.");
}
