using System.Diagnostics;
using System.Text.RegularExpressions;
using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FunctionsChat.Storage.Azure;
using Microsoft.Extensions.Configuration;

namespace FunctionsChat.Tests.Storage;

/// <summary>Every test class that talks to Azurite joins this collection, so they share one wait for it.</summary>
[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "Azurite";
}

/// <summary>
/// Waits for Azurite (or the storage named by <c>CHAT_TEST_STORAGE</c>) by polling a cheap table and queue call, and
/// fails every test of the collection with a message naming the start command when it does not answer in time.
/// These tests are never skipped: no storage is a failure, not a pass.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public const string OverrideVariable = "CHAT_TEST_STORAGE";
    public const string StartCommand = "npm run azurite   (from the repo root; install it first with: npm ci)";

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(200);

    public string ConnectionString { get; } =
        Environment.GetEnvironmentVariable(OverrideVariable) is { Length: > 0 } value ? value : "UseDevelopmentStorage=true";

    /// <summary>Clients for the tests, with modest retries so a real failure shows quickly.</summary>
    public StorageClients Clients { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Clients = CreateClients(ConnectionString, retries: 2, networkTimeout: TimeSpan.FromSeconds(10));
        // No retries while waiting: the loop itself is the retry.
        var probe = CreateClients(ConnectionString, retries: 0, networkTimeout: TimeSpan.FromSeconds(2));
        var clock = Stopwatch.StartNew();
        Exception? last = null;
        var attempts = 0;
        while (clock.Elapsed < WaitLimit)
        {
            attempts++;
            try
            {
                await foreach (var _ in probe.Tables.QueryAsync(maxPerPage: 1).AsPages(pageSizeHint: 1))
                {
                    break;
                }
                await foreach (var _ in probe.Queues.GetQueuesAsync().AsPages(pageSizeHint: 1))
                {
                    break;
                }
                return;
            }
            catch (Exception ex)
            {
                last = ex;
            }
            await Task.Delay(PollInterval);
        }
        throw new InvalidOperationException(
            $"Azurite did not answer at '{Redacted(ConnectionString)}' within {WaitLimit.TotalSeconds:0} s ({attempts} attempts). " +
            $"Start it with: {StartCommand}, or directly: node_modules/.bin/azurite --silent --skipApiVersionCheck --loose --location .azurite " +
            $"(set {OverrideVariable} to test against other storage). Last error: {last?.GetType().Name}: {FirstLine(last?.Message)}",
            last);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A fresh set of unique table and queue names on this storage, cleaned up when disposed.</summary>
    public AzuriteScope NewScope() => new(Clients);

    public static StorageClients CreateClients(string connectionString, int retries, TimeSpan networkTimeout)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [StorageClientFactory.SettingName] = connectionString })
            .Build();
        return StorageClientFactory.Create(configuration, Configure(new TableClientOptions(), retries, networkTimeout), Configure(new QueueClientOptions(), retries, networkTimeout));
    }

    private static T Configure<T>(T options, int retries, TimeSpan networkTimeout) where T : ClientOptions
    {
        options.Retry.MaxRetries = retries;
        options.Retry.Mode = RetryMode.Fixed;
        options.Retry.Delay = TimeSpan.FromMilliseconds(50);
        options.Retry.MaxDelay = TimeSpan.FromMilliseconds(100);
        options.Retry.NetworkTimeout = networkTimeout;
        return options;
    }

    /// <summary>The connection string without its secrets, fit for a test log.</summary>
    private static string Redacted(string connectionString) =>
        Regex.Replace(connectionString, "(AccountKey|SharedAccessSignature)=[^;]*", "$1=***", RegexOptions.IgnoreCase);

    private static string? FirstLine(string? text) => text?.Split('\n', 2)[0].Trim();
}
