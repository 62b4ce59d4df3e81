using System.Diagnostics.Metrics;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using FunctionsChat.Tests.Functions;
using FunctionsChat.Tests.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace FunctionsChat.Tests.Telemetry;

/// <summary>
/// The Azure adapters as AddChat registers them count every request they send to Azurite, by service. (The in-memory
/// fakes send none, so only here do storage operations mean something.)
/// </summary>
[Collection(AzuriteCollection.Name)]
public sealed class StorageMetricsTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task HistoryWritesCountAsTableOperationsAndInboxCallsAsQueueOperations()
    {
        var prefix = "cm" + Guid.NewGuid().ToString("N")[..12];
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Chat:SigningKey"] = ChatTestApp.SigningKey,
            ["Chat:HistoryTable"] = prefix + "history",
            ["Chat:MembersTable"] = prefix + "members",
        }).Build();
        var services = new ServiceCollection().AddLogging().AddChat(configuration).BuildServiceProvider();
        using var operations = new MetricCollector<long>(services.GetRequiredService<IMeterFactory>(), ChatMetrics.StorageMeterName, ChatMetrics.StorageOperationsName);
        var queue = prefix + "-inbox";
        try
        {
            var message = TestData.Message("lobby", TestData.Id(DateTimeOffset.UtcNow.Ticks, 1));
            await services.GetRequiredService<IMessageHistory>().AppendAsync(message, dedupeKey: null, CancellationToken.None);
            var tableOperations = Count(operations, "table");
            Assert.Equal(0, Count(operations, "queue"));

            var inboxes = services.GetRequiredService<IInboxes>();
            await inboxes.CreateAsync(queue, CancellationToken.None);
            Assert.True(await inboxes.DeliverAsync(queue, "{}", TimeSpan.FromMinutes(5), CancellationToken.None));
            Assert.Single((await inboxes.ReceiveAsync(queue, 32, CancellationToken.None))!);

            Assert.True(tableOperations >= 2, $"create table and the batch append: {tableOperations}"); // create table, batch
            Assert.Equal(tableOperations, Count(operations, "table"));
            Assert.True(Count(operations, "queue") >= 4, $"create, put, get, delete: {Count(operations, "queue")}");
        }
        finally
        {
            await azurite.Clients.Queues.GetQueueClient(queue).DeleteIfExistsAsync();
            await azurite.Clients.Tables.GetTableClient(prefix + "history").DeleteAsync();
        }
    }

    private static long Count(MetricCollector<long> collector, string service) =>
        collector.GetMeasurementSnapshot().Where(m => Equals(m.Tags["service"], service)).Sum(m => m.Value);
}
