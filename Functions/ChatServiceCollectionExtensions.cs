using Azure.Core;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FunctionsChat.Auth;
using FunctionsChat.Members;
using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Telemetry;
using FunctionsChat.Delivery;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace FunctionsChat;

/// <summary>The one registration of the chat, shared by the function app and DevServer.</summary>
public static class ChatServiceCollectionExtensions
{
    public static IServiceCollection AddChat(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ChatOptions>()
            .Bind(configuration.GetSection(ChatOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ChatOptions>, ChatOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddSingleton<ChatMetrics>();

        services.AddChatStorage(configuration);

        services.AddSingleton<MemberTokens>();
        services.AddSingleton<MemberAccess>();
        services.AddSingleton<Presence>();
        services.AddSingleton<IRoomNotices, RoomNotices>();
        services.AddSingleton<NameGenerator>();
        services.AddSingleton<MessageIds>();
        services.AddSingleton<SendRateLimiter>();
        services.AddSingleton<JoinRateLimiter>();
        services.AddSingleton<MessageFanOut>();
        services.AddSingleton<WaitingPolls>();
        // Delivery handles a member's departure: its waiting polls of that queue wake and find it gone.
        services.AddSingleton<IMemberDepartures>(sp => sp.GetRequiredService<WaitingPolls>());
        services.AddSingleton<InboxWaiter>();
        services.AddSingleton<RoomWatcher>();
        services.AddSingleton<WaitingSetPublisher>();
        services.AddSingleton<ChatInstance>();
        services.AddSingleton<RoomSignalWriter>();
        services.AddSingleton<HandOverSender>();
        services.AddSingleton<HandOverReceiver>();
        services.AddSingleton<HandOverSweeper>();
        services.AddSingleton<QueuePuts>();
        services.AddSingleton<RoomMembersCache>();
        services.AddSingleton<RoomLatest>();
        services.TryAddSingleton(DeliveryTimings.Default);
        services.AddHostedService<DeliveryDrain>();
        return services;
    }

    /// <summary>The Azure adapters of the storage ports; clients are built on first use, from AzureWebJobsStorage.</summary>
    private static IServiceCollection AddChatStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(sp =>
        {
            var metrics = sp.GetRequiredService<ChatMetrics>();
            return StorageClientFactory.Create(configuration,
                Configure(new TableClientOptions(), new StorageOperationCounter(metrics, "table")),
                Configure(new QueueClientOptions(), new StorageOperationCounter(metrics, "queue")));
        });
        services.AddSingleton(sp => sp.GetRequiredService<StorageClients>().Tables);
        services.AddSingleton(sp => sp.GetRequiredService<StorageClients>().Queues);
        services.AddSingleton<IMessageHistory, TableMessageHistory>();
        services.AddSingleton<IMemberStore, TableMemberStore>();
        services.AddSingleton<IInboxes, QueueInboxes>();
        services.AddSingleton<IRoomSignals, TableRoomSignals>();
        services.AddSingleton<IHandOvers, TableHandOvers>();
        services.AddSingleton<IStorageProbe, AzureStorageProbe>();
        return services;
    }

    /// <summary>Fail over in seconds, not minutes: a chat request that waits out the SDK defaults is already lost.</summary>
    private static T Configure<T>(T options, StorageOperationCounter counter) where T : ClientOptions
    {
        options.AddPolicy(counter, HttpPipelinePosition.PerRetry);
        options.Retry.MaxRetries = 2;
        options.Retry.Mode = RetryMode.Exponential;
        options.Retry.Delay = TimeSpan.FromMilliseconds(200);
        options.Retry.MaxDelay = TimeSpan.FromSeconds(2);
        options.Retry.NetworkTimeout = TimeSpan.FromSeconds(10);
        return options;
    }
}
