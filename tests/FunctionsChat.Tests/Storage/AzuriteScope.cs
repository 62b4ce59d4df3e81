using Azure;
using FunctionsChat.Storage.Azure;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Tests.Storage;

/// <summary>
/// One test's private corner of Azurite: unique table names and a unique queue-name prefix. Disposing deletes the
/// tables and every queue that carries the prefix, whoever created it.
/// </summary>
public sealed class AzuriteScope : IAsyncDisposable
{
    private readonly string prefix = "ct" + Guid.NewGuid().ToString("N")[..12];
    private int queues;

    internal AzuriteScope(StorageClients clients)
    {
        Clients = clients;
        Options = Microsoft.Extensions.Options.Options.Create(new ChatOptions
        {
            HistoryTable = prefix + "history",
            MembersTable = prefix + "members",
            SigningKey = "contract-tests-signing-key-0123456789abcdef",
        });
    }

    public StorageClients Clients { get; }

    public IOptions<ChatOptions> Options { get; }

    /// <summary>A valid queue name (3–63 chars, lowercase letters, digits, single dashes) unique to this test.</summary>
    public string NewQueueName() => $"{prefix}-{Interlocked.Increment(ref queues)}";

    public async ValueTask DisposeAsync()
    {
        foreach (var table in new[] { Options.Value.HistoryTable, Options.Value.MembersTable })
        {
            try
            {
                await Clients.Tables.DeleteTableAsync(table);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // The test never used it.
            }
        }
        await foreach (var queue in Clients.Queues.GetQueuesAsync(prefix: prefix))
        {
            try
            {
                await Clients.Queues.DeleteQueueAsync(queue.Name);
            }
            catch (RequestFailedException ex) when (ex.Status == 404)
            {
                // A test deleted it already.
            }
        }
    }
}
