using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text.Json;
using Microsoft.Extensions.Configuration;

namespace FunctionsChat.DevServer.Tests;

/// <summary>DevServer's routes come from reflection, the host's from functions.metadata: they must never drift apart.</summary>
public sealed class RouteTableTests
{
    private static readonly System.Reflection.Assembly Functions = typeof(ChatOptions).Assembly;

    [Fact]
    public void DevServerRoutesMatchFunctionsMetadata()
    {
        var metadata = ReadFunctionsMetadata();

        var expectedHttp = metadata.Where(f => f.Trigger == "httpTrigger").Select(f => f.Describe()).Order(StringComparer.Ordinal).ToList();
        var actualHttp = FunctionRoutes.Discover(Functions)
            .Select(r => new MetadataFunction(r.Name, "httpTrigger", r.Route, r.Methods.Order(StringComparer.Ordinal).ToList(), null).Describe())
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expectedHttp, actualHttp);

        var expectedTimers = metadata.Where(f => f.Trigger == "timerTrigger").Select(f => f.Describe()).Order(StringComparer.Ordinal).ToList();
        var actualTimers = TimerFunctions.Discover(Functions, new ConfigurationBuilder().Build())
            .Select(t => new MetadataFunction(t.Name, "timerTrigger", null, [], t.Schedule).Describe())
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(expectedTimers, actualTimers);

        // Every function the host knows is one DevServer runs: no trigger kind is silently left out.
        Assert.Equal(metadata.Count, actualHttp.Count + actualTimers.Count);
        Assert.NotEmpty(actualHttp);
        Assert.NotEmpty(actualTimers);
    }

    [Fact]
    public void FunctionsMetadataComesFromTheAssemblyUnderTest()
    {
        // The build writes functions.metadata beside the dll it generated it for (and skips that step when nothing
        // changed); the same module id proves the assembly DevServer reflected over is that dll.
        using var stream = File.OpenRead(Paths.FunctionsDll);
        using var pe = new PEReader(stream);
        var reader = pe.GetMetadataReader();
        var builtMvid = reader.GetGuid(reader.GetModuleDefinition().Mvid);
        Assert.Equal(Functions.ManifestModule.ModuleVersionId, builtMvid);
    }

    private sealed record MetadataFunction(string Name, string Trigger, string? Route, IReadOnlyList<string> Methods, string? Schedule)
    {
        public string Describe() => $"{Name} {Trigger} route={Route} methods={string.Join(",", Methods)} schedule={Schedule}";
    }

    private static List<MetadataFunction> ReadFunctionsMetadata()
    {
        Assert.True(File.Exists(Paths.FunctionsMetadata), $"{Paths.FunctionsMetadata} is missing: build Functions.");
        using var json = JsonDocument.Parse(File.ReadAllText(Paths.FunctionsMetadata));
        return json.RootElement.EnumerateArray().Select(function =>
        {
            var trigger = function.GetProperty("bindings").EnumerateArray()
                .Single(b => b.GetProperty("type").GetString()!.EndsWith("Trigger", StringComparison.Ordinal));
            var type = trigger.GetProperty("type").GetString()!;
            var methods = trigger.TryGetProperty("methods", out var m) && m.ValueKind == JsonValueKind.Array
                ? m.EnumerateArray().Select(x => x.GetString()!.ToLowerInvariant()).Order(StringComparer.Ordinal).ToList()
                : [];
            return new MetadataFunction(
                function.GetProperty("name").GetString()!,
                type,
                type == "httpTrigger" ? (trigger.TryGetProperty("route", out var r) ? r.GetString() : function.GetProperty("name").GetString()) : null,
                methods,
                trigger.TryGetProperty("schedule", out var s) ? s.GetString() : null);
        }).ToList();
    }
}
