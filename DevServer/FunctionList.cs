using System.Text;
using FunctionsChat.DevServer.Workers;

namespace FunctionsChat.DevServer;

/// <summary>The function list func start prints: each HTTP function with its methods and URL, each timer as timerTrigger.</summary>
public static class FunctionList
{
    public static string Describe(FunctionIndex functions, string baseUrl, string routePrefix)
    {
        var text = new StringBuilder("\nFunctions:\n\n");
        var prefix = routePrefix.Length == 0 ? "" : routePrefix + "/";
        foreach (var http in functions.Http)
        {
            var methods = http.Methods.Count == 0 ? "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS" : string.Join(",", http.Methods.Select(m => m.ToUpperInvariant()));
            text.Append($"\t{http.Name}: [{methods}] {baseUrl}/{prefix}{http.Route}\n");
        }
        foreach (var timer in functions.Timers)
        {
            text.Append($"\t{timer.Name}: timerTrigger\n");
        }
        foreach (var other in functions.Unsupported)
        {
            text.Append($"\t{other}: not run by DevServer (HTTP and timer triggers only)\n");
        }
        return text.ToString();
    }
}
