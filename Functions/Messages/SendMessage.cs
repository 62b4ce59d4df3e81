using System.Security.Cryptography;
using System.Text;
using FunctionsChat.Delivery;
using FunctionsChat.Http;
using FunctionsChat.Members;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;

namespace FunctionsChat.Messages;

public sealed record SendRequest(string? Text, string? ClientMessageId);

public sealed class SendMessage(
    MemberAccess access,
    Presence presence,
    SendRateLimiter rateLimiter,
    MessageIds ids,
    IMessageHistory history,
    MessageFanOut fanOut,
    ChatMetrics metrics)
{
    public const int MaxTextLength = 2000;
    public const int MaxClientMessageIdLength = 100;

    [Function(nameof(SendMessage))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "post", Route = "rooms/{room}/messages")] HttpRequest request,
        string room,
        CancellationToken cancellationToken) => StorageGuard.RunAsync(async () =>
    {
        if (!RoomName.IsValid(room))
        {
            return RoomName.Invalid();
        }
        var (member, accessError) = await access.AuthenticateAsync(request, room, cancellationToken);
        if (accessError is not null)
        {
            return accessError;
        }
        var (body, bodyError) = await RequestBody.ReadJsonAsync<SendRequest>(request, optional: false, cancellationToken);
        if (bodyError is not null)
        {
            return bodyError;
        }
        var text = body!.Text?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return Api.BadRequest("The message text is empty.");
        }
        if (text.EnumerateRunes().Count() > MaxTextLength)
        {
            return Api.BadRequest($"A message is at most {MaxTextLength} characters.");
        }
        // Characters are code points here too, as for the text (and as JSON Schema's maxLength counts them).
        if (body.ClientMessageId is { } clientMessageId && clientMessageId.EnumerateRunes().Count() is 0 or > MaxClientMessageIdLength)
        {
            return Api.BadRequest($"clientMessageId is 1 to {MaxClientMessageIdLength} characters.");
        }
        if (rateLimiter.TryAcquire(room, member!.UserId) is { } retryAfter)
        {
            return Api.TooManyRequests(retryAfter, "Too many messages in the last 10 seconds. Wait a moment.");
        }

        await presence.MarkSeenAsync(member, cancellationToken);
        var (id, sentAt) = ids.Next();
        var message = new ChatMessage(id, room, member.UserId, member.Name, text, sentAt);
        var dedupeKey = DedupeKey(member.UserId, body.ClientMessageId);
        var stored = await history.AppendAsync(message, dedupeKey, cancellationToken);
        if (stored.Created)
        {
            metrics.MessageAccepted();
        }
        else if (stored.Delivered)
        {
            return Api.Ok(stored.Message);
        }
        // A repeat whose first fan-out was never marked done (its instance was lost midway, say) delivers it again:
        // members who already have it get a copy that clients drop by id, the others get it at all.
        try
        {
            await fanOut.DeliverAsync(stored.Message, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The invocation was cancelled (the instance stops, or the caller left): the round goes on regardless, and
            // a retry with the same clientMessageId delivers it if this one did not finish.
            return Api.SendInterrupted();
        }
        await MarkDeliveredAsync(room, dedupeKey);
        return stored.Created ? Api.Created(stored.Message) : Api.Ok(stored.Message);
    });

    private async Task MarkDeliveredAsync(string room, string? dedupeKey)
    {
        if (dedupeKey is null)
        {
            return;
        }
        try
        {
            await history.MarkDeliveredAsync(room, dedupeKey, CancellationToken.None);
        }
        catch (StorageUnavailableException)
        {
            // The message is delivered; at worst a retry of this send delivers it again.
        }
    }

    /// <summary>Scoped to the member and hashed, so any client string becomes a safe, fixed-length storage key.</summary>
    internal static string? DedupeKey(string userId, string? clientMessageId) => clientMessageId is null
        ? null
        : Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{userId}\n{clientMessageId}")));
}
