using Azure.Data.Tables;
using Azure.Storage.Queues;
using FunctionsChat.DeployTests.Support;
using FunctionsChat.Storage.Azure;
using Microsoft.Extensions.Configuration;

namespace FunctionsChat.DeployTests;

/// <summary>
/// StorageClientFactory picks how to reach storage from the form of the AzureWebJobsStorage setting. Each test builds the
/// clients, lets each send one request into a recording transport, and looks at where it went and how it authenticated;
/// managed identity tokens come from a fake identity endpoint on 127.0.0.1.
/// </summary>
[Collection(DeploymentCollection.Name)]
public sealed class StorageClientFactoryTests(CompiledTemplate template, FakeManagedIdentity identity)
{
    private const string AccountKey = "c2VjcmV0LWtleS1mb3ItdGVzdHMtb25seS0wMTIzNDU2Nzg5"; // base64, not a real key

    [Fact]
    public async Task A_development_storage_connection_string_gives_shared_key_clients_on_Azurite_endpoints()
    {
        var sent = await SendOneRequestEach(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });

        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), sent.Clients.Tables.Uri);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), sent.Clients.Queues.Uri);
        Assert.StartsWith("SharedKey", sent.TableAuthorization);
        Assert.StartsWith("SharedKey", sent.QueueAuthorization);
    }

    [Fact]
    public async Task An_account_connection_string_gives_shared_key_clients_on_that_accounts_endpoints()
    {
        var sent = await SendOneRequestEach(new()
        {
            ["AzureWebJobsStorage"] = $"DefaultEndpointsProtocol=https;AccountName=stconnstr;AccountKey={AccountKey};EndpointSuffix=core.windows.net",
        });

        Assert.Equal("stconnstr.table.core.windows.net", sent.Clients.Tables.Uri.Host);
        Assert.Equal("stconnstr.queue.core.windows.net", sent.Clients.Queues.Uri.Host);
        Assert.StartsWith("SharedKey", sent.TableAuthorization);
        Assert.Contains("stconnstr:", sent.QueueAuthorization);
    }

    [Fact]
    public async Task A_connection_string_wins_over_identity_settings_as_it_does_in_the_Functions_host()
    {
        var sent = await SendOneRequestEach(new()
        {
            ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
            ["AzureWebJobsStorage__accountName"] = "stignored",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
        });

        Assert.Equal("127.0.0.1", sent.Clients.Tables.Uri.Host);
        Assert.StartsWith("SharedKey", sent.TableAuthorization);
    }

    [Fact]
    public async Task An_account_name_gives_clients_on_the_public_cloud_endpoints_with_the_user_assigned_identity()
    {
        var clientId = Guid.NewGuid().ToString();

        var sent = await SendOneRequestEach(new()
        {
            ["AzureWebJobsStorage__accountName"] = "stbyname",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
            ["AzureWebJobsStorage__clientId"] = clientId,
        });

        Assert.Equal(new Uri("https://stbyname.table.core.windows.net"), sent.Clients.Tables.Uri);
        Assert.Equal(new Uri("https://stbyname.queue.core.windows.net"), sent.Clients.Queues.Uri);
        AssertManagedIdentityBearer(sent, clientId);
    }

    [Fact]
    public async Task Explicit_service_URIs_are_used_as_given_and_win_over_the_account_name()
    {
        var clientId = Guid.NewGuid().ToString();

        var sent = await SendOneRequestEach(new()
        {
            ["AzureWebJobsStorage__accountName"] = "stbyname",
            ["AzureWebJobsStorage__tableServiceUri"] = "https://stbyuri.table.core.chinacloudapi.cn/",
            ["AzureWebJobsStorage__queueServiceUri"] = "https://stbyuri.queue.core.chinacloudapi.cn/",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
            ["AzureWebJobsStorage__clientId"] = clientId,
        });

        Assert.Equal("stbyuri.table.core.chinacloudapi.cn", sent.Clients.Tables.Uri.Host);
        Assert.Equal("stbyuri.queue.core.chinacloudapi.cn", sent.Clients.Queues.Uri.Host);
        AssertManagedIdentityBearer(sent, clientId);
    }

    [Fact]
    public async Task Managed_identity_without_a_client_id_asks_for_the_system_assigned_identity()
    {
        var sent = await SendOneRequestEach(new()
        {
            ["AzureWebJobsStorage__accountName"] = "stsystem",
            ["AzureWebJobsStorage__credential"] = "managedidentity",
        });

        Assert.Equal($"Bearer {FakeManagedIdentity.IssuedToken}", sent.TableAuthorization);
        Assert.Contains(("", "https://storage.azure.com"), sent.TokenRequests);
        Assert.All(sent.TokenRequests, r => Assert.Equal("", r.ClientId));
    }

    [Fact]
    public void Without_any_storage_setting_creation_fails_with_a_message_that_names_AzureWebJobsStorage()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>()).Build();

        var error = Assert.Throws<InvalidOperationException>(() => StorageClientFactory.Create(configuration));

        Assert.Contains("AzureWebJobsStorage", error.Message);
    }

    [Fact]
    public async Task The_storage_settings_Bicep_deploys_give_identity_clients_on_the_deployed_endpoints()
    {
        // Names come from the compiled template; values that ARM computes at deploy time get stand-ins that tell the
        // forms apart (the URIs name another host than the account name), so the test shows which settings were read.
        var (_, settings) = template.AppSettings;
        var clientId = Guid.NewGuid().ToString();
        var standIns = new Dictionary<string, string>
        {
            ["AzureWebJobsStorage__accountName"] = "stfromaccountname",
            ["AzureWebJobsStorage__tableServiceUri"] = "https://stfromuris.table.core.windows.net/",
            ["AzureWebJobsStorage__queueServiceUri"] = "https://stfromuris.queue.core.windows.net/",
            ["AzureWebJobsStorage__clientId"] = clientId,
        };
        var storageSettings = new Dictionary<string, string?>();
        foreach (var (name, value) in settings.Where(s => s.Key.StartsWith("AzureWebJobsStorage", StringComparison.Ordinal)))
        {
            var text = ArmScope.Str(value)!;
            storageSettings[name] = text.StartsWith('[') ? standIns[name] : text;
        }

        var sent = await SendOneRequestEach(storageSettings);

        Assert.Equal("stfromuris.table.core.windows.net", sent.Clients.Tables.Uri.Host);
        Assert.Equal("stfromuris.queue.core.windows.net", sent.Clients.Queues.Uri.Host);
        AssertManagedIdentityBearer(sent, clientId);
    }

    private static void AssertManagedIdentityBearer(Sent sent, string clientId)
    {
        Assert.Equal($"Bearer {FakeManagedIdentity.IssuedToken}", sent.TableAuthorization);
        Assert.Equal($"Bearer {FakeManagedIdentity.IssuedToken}", sent.QueueAuthorization);
        Assert.Contains((clientId, "https://storage.azure.com"), sent.TokenRequests);
    }

    private sealed record Sent(StorageClients Clients, string? TableAuthorization, string? QueueAuthorization, IReadOnlyList<(string ClientId, string Resource)> TokenRequests);

    private async Task<Sent> SendOneRequestEach(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(SettingNames.AsConfiguration(settings)).Build();
        var recorder = new RecordingTransport();
        var tableOptions = new TableClientOptions { Transport = recorder.Transport };
        var queueOptions = new QueueClientOptions { Transport = recorder.Transport };
        tableOptions.Retry.MaxRetries = 0;
        queueOptions.Retry.MaxRetries = 0;
        var before = identity.Requests.Count;

        var clients = StorageClientFactory.Create(configuration, tableOptions, queueOptions);
        await clients.Tables.GetTableClient("probe").DeleteAsync();
        await clients.Queues.GetQueueClient("probe").DeleteIfExistsAsync();

        var requests = recorder.Requests.ToList();
        Assert.Equal(2, requests.Count);
        var table = requests.Single(r => r.Uri.Host == clients.Tables.Uri.Host && r.Uri.Port == clients.Tables.Uri.Port && r.Uri.AbsolutePath.Contains("Tables", StringComparison.Ordinal));
        var queue = requests.Single(r => r != table);
        return new Sent(clients, table.Authorization, queue.Authorization, identity.Requests.Skip(before).ToList());
    }
}
