using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace FunctionsChat.DevServer.Tests;

/// <summary>DevServer's development-only <c>/_dev/metrics</c>: the worker's storage operations (over OTLP) and memory, absent elsewhere.</summary>
[Collection(TwoDevServersCollection.Name)]
public sealed class DiagnosticsTests(TwoDevServers servers)
{
    [Fact]
    public async Task AJoinIncreasesTheStorageOperationCountAndMemoryIsReported()
    {
        using var http = new HttpClient { BaseAddress = servers.A.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var before = await MetricsAsync(http);

        using var api = new ChatApi(servers.A.BaseAddress);
        await api.JoinAsync(Rooms.New("e2e"), "counted");
        // The worker exports its counts to DevServer once a second.
        var after = before;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline &&
            after.GetProperty("storageOperations").GetProperty("total").GetInt64() < before.GetProperty("storageOperations").GetProperty("total").GetInt64() + 2)
        {
            await Task.Delay(250);
            after = await MetricsAsync(http);
        }

        var storageBefore = before.GetProperty("storageOperations");
        var storageAfter = after.GetProperty("storageOperations");
        // A join creates a queue and adds a member row: at least one operation on each service.
        Assert.True(storageAfter.GetProperty("queue").GetInt64() > storageBefore.GetProperty("queue").GetInt64());
        Assert.True(storageAfter.GetProperty("table").GetInt64() > storageBefore.GetProperty("table").GetInt64());
        Assert.True(storageAfter.GetProperty("total").GetInt64() >= storageBefore.GetProperty("total").GetInt64() + 2);
        var process = after.GetProperty("process");
        Assert.Equal(1, process.GetProperty("workers").GetInt32());
        Assert.True(process.GetProperty("workingSetBytes").GetInt64() > 0);
        Assert.True(process.GetProperty("peakWorkingSetBytes").GetInt64() >= process.GetProperty("workingSetBytes").GetInt64() / 2);

        using var reset = await http.PostAsync("_dev/metrics/reset-peak", null);
        Assert.Equal(HttpStatusCode.NoContent, reset.StatusCode);
    }

    [Fact]
    public async Task OutsideDevelopmentTheEndpointIsNotMapped()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        await using var production = await DevServerProcess.StartHealthyAsync(environment);
        using var http = new HttpClient { BaseAddress = production.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };

        using var response = await http.GetAsync("_dev/metrics");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static async Task<JsonElement> MetricsAsync(HttpClient http)
    {
        using var response = await http.GetAsync("_dev/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
