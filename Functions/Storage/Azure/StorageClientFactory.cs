using Azure.Core;
using Azure.Data.Tables;
using Azure.Identity;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;

namespace FunctionsChat.Storage.Azure;

public sealed record StorageClients(TableServiceClient Tables, QueueServiceClient Queues);

/// <summary>
/// Builds the Table and Queue clients from the <c>AzureWebJobsStorage</c> setting in either of the forms the
/// Functions host accepts: a connection string, or identity-based (<c>__accountName</c>, or
/// <c>__tableServiceUri</c> and <c>__queueServiceUri</c>, with <c>__credential=managedidentity</c> and
/// <c>__clientId</c> for a user-assigned identity).
/// </summary>
public static class StorageClientFactory
{
    public const string SettingName = "AzureWebJobsStorage";

    public static StorageClients Create(IConfiguration configuration, TableClientOptions? tableOptions = null, QueueClientOptions? queueOptions = null)
    {
        tableOptions ??= new TableClientOptions();
        queueOptions ??= new QueueClientOptions();
        // Queue message text travels as Base64, so the request body is plain ASCII. Azurite (3.37) decodes a request body
        // chunk by chunk and turns a UTF-8 character split across two chunks into U+FFFD, which corrupted larger payloads
        // with Chinese text or emoji now and then (storage contract test PayloadsRoundTripExactly). Base64 is also what
        // Functions queue triggers expect by default.
        queueOptions.MessageEncoding = QueueMessageEncoding.Base64;
        var connectionString = configuration[SettingName];
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            return new StorageClients(new TableServiceClient(connectionString, tableOptions), new QueueServiceClient(connectionString, queueOptions));
        }
        var section = configuration.GetSection(SettingName);
        var (tableUri, queueUri) = ServiceUris(section);
        var credential = Credential(section);
        return new StorageClients(new TableServiceClient(tableUri, credential, tableOptions), new QueueServiceClient(queueUri, credential, queueOptions));
    }

    internal static (Uri Table, Uri Queue) ServiceUris(IConfigurationSection section)
    {
        var tableUri = section["tableServiceUri"];
        var queueUri = section["queueServiceUri"];
        if (!string.IsNullOrWhiteSpace(tableUri) && !string.IsNullOrWhiteSpace(queueUri))
        {
            return (new Uri(tableUri), new Uri(queueUri));
        }
        var account = section["accountName"];
        if (!string.IsNullOrWhiteSpace(account))
        {
            return (new Uri($"https://{account}.table.core.windows.net"), new Uri($"https://{account}.queue.core.windows.net"));
        }
        throw new InvalidOperationException(
            $"Storage is not configured: set '{SettingName}' to a connection string (UseDevelopmentStorage=true for Azurite), " +
            $"or '{SettingName}__accountName', or both '{SettingName}__tableServiceUri' and '{SettingName}__queueServiceUri'.");
    }

    internal static TokenCredential Credential(IConfigurationSection section)
    {
        var clientId = section["clientId"];
        return string.Equals(section["credential"], "managedidentity", StringComparison.OrdinalIgnoreCase)
            ? new ManagedIdentityCredential(string.IsNullOrWhiteSpace(clientId) ? ManagedIdentityId.SystemAssigned : ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = string.IsNullOrWhiteSpace(clientId) ? null : clientId });
    }
}
