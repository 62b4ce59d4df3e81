using System.Net;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace FunctionsChat.DevServer.Tests;

/// <summary>
/// DevServer serves the routes the worker reported over gRPC (it prints them at startup, as func start does), and
/// those are the build's functions.metadata: the worker, DevServer and the Functions host cannot drift apart.
/// </summary>
[Collection(TwoDevServersCollection.Name)]
public sealed partial class RouteTableTests(TwoDevServers servers)
{
    private static readonly System.Reflection.Assembly Functions = typeof(ChatOptions).Assembly;

    [Fact]
    public void TheFunctionListDevServerPrintsEqualsFunctionsMetadata()
    {
        var metadata = ReadFunctionsMetadata().Select(f => f.Describe()).Order(StringComparer.Ordinal).ToList();

        var printed = PrintedFunctions(servers.A).Select(f => f.Describe()).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(metadata, printed);
        Assert.Contains(printed, f => f.Contains("httpTrigger"));
        Assert.Contains(printed, f => f.Contains("timerTrigger"));
    }

    [Fact]
    public async Task EveryPrintedRouteIsServedForItsMethodsOnly()
    {
        using var http = new HttpClient { BaseAddress = servers.A.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        foreach (var function in PrintedFunctions(servers.A).Where(f => f.Trigger == "httpTrigger"))
        {
            // Route values filled with something no function accepts, so nothing is created: any answer but 404/405
            // shows the route reached the function.
            var path = "api/" + RouteValue().Replace(function.Route!, "not-a-room!");
            foreach (var method in function.Methods)
            {
                using var answer = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method.ToUpperInvariant()), path));
                Assert.True(answer.StatusCode is not HttpStatusCode.NotFound and not HttpStatusCode.MethodNotAllowed,
                    $"{method} {path}: {answer.StatusCode}");
            }
            using var wrongMethod = await http.SendAsync(new HttpRequestMessage(HttpMethod.Put, path));
            Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        }
    }

    [Fact]
    public void FunctionsMetadataComesFromTheAssemblyUnderTest()
    {
        // The build writes functions.metadata beside the dll it generated it for (and skips that step when nothing
        // changed); the same module id proves it describes the assembly these tests were built with.
        using var stream = File.OpenRead(Paths.FunctionsDll);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var builtMvid = reader.GetGuid(reader.GetModuleDefinition().Mvid);
        Assert.Equal(Functions.ManifestModule.ModuleVersionId, builtMvid);
    }

    internal sealed record ListedFunction(string Name, string Trigger, string? Route, IReadOnlyList<string> Methods)
    {
        public string Describe() => $"{Name} {Trigger} route={Route} methods={string.Join(",", Methods)}";
    }

    /// <summary>Lines such as <c>JoinRoom: [POST] http://127.0.0.1:5000/api/rooms/{room}/members</c> and <c>ExpireMembers: timerTrigger</c>.</summary>
    internal static List<ListedFunction> PrintedFunctions(DevServerProcess server)
    {
        var listed = new List<ListedFunction>();
        foreach (Match line in ListedHttp().Matches(server.Output))
        {
            var methods = line.Groups["methods"].Value.Split(',').Select(m => m.ToLowerInvariant()).Order(StringComparer.Ordinal).ToList();
            listed.Add(new ListedFunction(line.Groups["name"].Value, "httpTrigger", line.Groups["route"].Value, methods));
        }
        foreach (Match line in ListedTimer().Matches(server.Output))
        {
            listed.Add(new ListedFunction(line.Groups["name"].Value, "timerTrigger", null, []));
        }
        return listed;
    }

    private static List<ListedFunction> ReadFunctionsMetadata()
    {
        Assert.True(File.Exists(Paths.FunctionsMetadata), $"{Paths.FunctionsMetadata} is missing: build Functions.");
        using var json = JsonDocument.Parse(File.ReadAllText(Paths.FunctionsMetadata));
        return json.RootElement.EnumerateArray().Select(function =>
        {
            var name = function.GetProperty("name").GetString()!;
            var trigger = function.GetProperty("bindings").EnumerateArray()
                .Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            var type = trigger.GetProperty("type").GetString()!;
            var methods = trigger.TryGetProperty("methods", out var m) && m.ValueKind == JsonValueKind.Array
                ? m.EnumerateArray().Select(x => x.GetString()!.ToLowerInvariant()).Order(StringComparer.Ordinal).ToList()
                : [];
            var route = type == "httpTrigger" ? (trigger.TryGetProperty("route", out var r) ? r.GetString() : name) : null;
            return new ListedFunction(name, type, route, methods);
        }).ToList();
    }

    [GeneratedRegex(@"^\t(?<name>\w+): \[(?<methods>[A-Z,]+)\] http://[^/]+/api/(?<route>\S+)$", RegexOptions.Multiline)]
    private static partial Regex ListedHttp();

    [GeneratedRegex(@"^\t(?<name>\w+): timerTrigger$", RegexOptions.Multiline)]
    private static partial Regex ListedTimer();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteValue();
}
