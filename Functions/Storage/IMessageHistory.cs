namespace FunctionsChat.Storage;

/// <summary>A room's message history, read by id ranges so cost never depends on the room's size.</summary>
public interface IMessageHistory
{
    /// <summary>
    /// Stores the message. With a <paramref name="dedupeKey"/> that was stored before, stores nothing and
    /// returns the message stored the first time, with <see cref="AppendResult.Created"/> false.
    /// </summary>
    Task<AppendResult> AppendAsync(ChatMessage message, string? dedupeKey, CancellationToken cancellationToken);

    /// <summary>
    /// Records that the message stored under <paramref name="dedupeKey"/> reached every member's inbox, so a repeated
    /// send knows there is nothing left to deliver (<see cref="AppendResult.Delivered"/>).
    /// </summary>
    Task MarkDeliveredAsync(string room, string dedupeKey, CancellationToken cancellationToken);

    /// <summary>
    /// Oldest first. No bounds: the newest <see cref="HistoryQuery.Limit"/>. After: the oldest ones above it.
    /// Before only: the newest ones below it.
    /// </summary>
    Task<IReadOnlyList<ChatMessage>> QueryAsync(string room, HistoryQuery query, CancellationToken cancellationToken);
}

/// <param name="Delivered">For a repeated send (not <paramref name="Created"/>): whether the first one's fan-out was marked done.</param>
public sealed record AppendResult(ChatMessage Message, bool Created, bool Delivered = false);

public sealed record HistoryQuery(string? After, string? Before, int Limit);
