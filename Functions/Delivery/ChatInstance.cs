namespace FunctionsChat.Delivery;

/// <summary>
/// This process's name among the app's instances, under which it raises room signals and by which it knows its own.
/// New for every process: with FUNCTIONS_WORKER_PROCESS_COUNT above 1, workers on one Azure instance share
/// WEBSITE_INSTANCE_ID but not their memory, so each must hear the others.
/// </summary>
public sealed class ChatInstance
{
    public string Id { get; } = Guid.NewGuid().ToString("N");
}
