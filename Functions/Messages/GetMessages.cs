using System.Globalization;
using FunctionsChat.Http;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.Messages;

public sealed record MessagePage(IReadOnlyList<ChatMessage> Messages);

public sealed class GetMessages(IMessageHistory history)
{
    public const int DefaultLimit = 100;
    public const int MaxLimit = 500;

    [Function(nameof(GetMessages))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rooms/{room}/messages")] HttpRequest request,
        string room,
        CancellationToken cancellationToken) => StorageGuard.RunAsync(async () =>
    {
        if (!RoomName.IsValid(room))
        {
            return RoomName.Invalid();
        }
        var after = QueryValue(request, "after");
        var before = QueryValue(request, "before");
        if ((after is not null && !MessageIds.IsValid(after)) || (before is not null && !MessageIds.IsValid(before)))
        {
            return Api.BadRequest("'after' and 'before' take message ids as returned by this API.");
        }
        var limitText = QueryValue(request, "limit");
        var limit = DefaultLimit;
        if (limitText is not null && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            return Api.BadRequest($"'limit' is a whole number from 1 to {MaxLimit}.");
        }
        var messages = await history.QueryAsync(room, new HistoryQuery(after, before, limit), cancellationToken);
        return Api.Ok(new MessagePage(messages));
    });

    private static string? QueryValue(HttpRequest request, string name) =>
        request.Query.TryGetValue(name, out var values) ? values.ToString() : null;
}
