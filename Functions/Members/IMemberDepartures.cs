namespace FunctionsChat.Members;

/// <summary>
/// Told when a member's queue is deleted (it left or expired), right after the deletion: what waits on that queue
/// stops waiting. Delivery handles it (its waiting polls find the queue gone and answer 410).
/// </summary>
public interface IMemberDepartures
{
    void Departed(string queueName);
}
