using System.Text.Json;
using FunctionsChat.DevServer.Rpc;

namespace FunctionsChat.DevServer.Workers;

/// <summary>One HTTP function: its trigger parameter, route (without the prefix) and methods (lower case; empty = any).</summary>
public sealed record HttpFunction(string Name, string TriggerParameter, string Route, IReadOnlyList<string> Methods);

/// <summary>One timer function: its trigger parameter and NCRONTAB schedule as written (it may name a setting, %Name%).</summary>
public sealed record TimerFunction(string Name, string TriggerParameter, string Schedule, bool RunOnStartup);

/// <summary>
/// What the worker reported in its <c>FunctionMetadataResponse</c>, sorted by trigger kind. Functions with another
/// trigger are listed as unsupported: DevServer runs HTTP and timer triggers only.
/// </summary>
public sealed record FunctionIndex(IReadOnlyList<HttpFunction> Http, IReadOnlyList<TimerFunction> Timers, IReadOnlyList<string> Unsupported)
{
    public static FunctionIndex From(IEnumerable<RpcFunctionMetadata> functions)
    {
        var http = new List<HttpFunction>();
        var timers = new List<TimerFunction>();
        var unsupported = new List<string>();
        foreach (var function in functions)
        {
            var trigger = function.RawBindings.Select(raw => JsonDocument.Parse(raw).RootElement)
                .FirstOrDefault(b => Text(b, "type")?.EndsWith("Trigger", StringComparison.OrdinalIgnoreCase) == true);
            switch (Text(trigger, "type")?.ToLowerInvariant())
            {
                case "httptrigger":
                    var methods = trigger.TryGetProperty("methods", out var m) && m.ValueKind == JsonValueKind.Array
                        ? m.EnumerateArray().Select(x => x.GetString()!.ToLowerInvariant()).ToList()
                        : [];
                    // Same default as the host: no route means the function's name.
                    http.Add(new HttpFunction(function.Name, Text(trigger, "name")!, Text(trigger, "route") ?? function.Name, methods));
                    break;
                case "timertrigger":
                    var runOnStartup = trigger.TryGetProperty("runOnStartup", out var r) && r.ValueKind == JsonValueKind.True;
                    timers.Add(new TimerFunction(function.Name, Text(trigger, "name")!, Text(trigger, "schedule")!, runOnStartup));
                    break;
                default:
                    unsupported.Add($"{function.Name} ({Text(trigger, "type") ?? "no trigger"})");
                    break;
            }
        }
        return new FunctionIndex(
            [.. http.OrderBy(f => f.Name, StringComparer.Ordinal)],
            [.. timers.OrderBy(f => f.Name, StringComparer.Ordinal)],
            unsupported);
    }

    public IEnumerable<string> Names => Http.Select(f => f.Name).Concat(Timers.Select(t => t.Name)).Order(StringComparer.Ordinal);

    private static string? Text(JsonElement element, string property) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : null;
}
