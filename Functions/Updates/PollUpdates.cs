using System.Globalization;
using FunctionsChat.Auth;
using FunctionsChat.Http;
using FunctionsChat.Members;
using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Updates;

public sealed class PollUpdates(MemberAccess access, Presence presence, InboxWaiter waiter, ChatMetrics metrics, IOptions<ChatOptions> options)
{
    public const int MaxTimeoutSeconds = 30;
    private readonly TimeSpan longestPoll = options.Value.LongestPoll;

    [Function(nameof(PollUpdates))]
    public Task<IActionResult> Run(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = "rooms/{room}/updates")] HttpRequest request,
        string room,
        CancellationToken cancellationToken) => StorageGuard.RunAsync(async () =>
    {
        if (!RoomName.IsValid(room))
        {
            return RoomName.Invalid();
        }
        var seconds = MaxTimeoutSeconds;
        if (request.Query.TryGetValue("timeout", out var timeoutText) &&
            (!int.TryParse(timeoutText.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out seconds) || seconds is < 1 or > MaxTimeoutSeconds))
        {
            return Api.BadRequest($"'timeout' is a whole number of seconds from 1 to {MaxTimeoutSeconds}.");
        }
        // The host cancels the function's token only by InvocationCancel; a caller who leaves aborts the forwarded
        // request. Either one ends the wait, so what was handed to this poll goes back to the queue.
        using var callerGone = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, request.HttpContext.RequestAborted);
        try
        {
            return await PollAsync(request, room, TimeSpan.FromSeconds(seconds), callerGone.Token);
        }
        catch (OperationCanceledException) when (callerGone.IsCancellationRequested)
        {
            // Normal, not a failure: the tab closed or the host is stopping. Should anyone still read this, it is an
            // empty page, and they poll again.
            return Api.Ok(new MessagePage([]));
        }
    });

    private async Task<IActionResult> PollAsync(HttpRequest request, string room, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var (member, error) = await access.AuthenticateAsync(request, room, cancellationToken);
        if (error is not null)
        {
            return error;
        }
        // A short member timeout shortens every poll (see ChatOptions.LongestPoll), so a live member never expires.
        var wait = timeout < longestPoll ? timeout : longestPoll;
        // The lastSeen write (due every 15 s) runs alongside the wait instead of before it: when many members' writes
        // fall due together they would otherwise keep their polls from being ready for a hand-over.
        var seen = presence.MarkSeenAsync(member!, cancellationToken);
        IReadOnlyList<ChatMessage>? messages;
        try
        {
            messages = await waiter.WaitAsync(room, member!.QueueName, wait, cancellationToken);
        }
        catch
        {
            await seen.ContinueWith(static _ => { }, TaskScheduler.Default);
            throw;
        }
        try
        {
            await seen;
        }
        catch (Exception e) when (messages is { Count: > 0 } && e is StorageUnavailableException or OperationCanceledException)
        {
            // The messages are already taken from the inbox: answer with them; the next poll writes lastSeen.
        }
        metrics.PollAnswered(messages switch
        {
            null => PollOutcome.Gone,
            { Count: > 0 } => PollOutcome.Messages,
            _ => PollOutcome.Empty,
        });
        return messages is null
            ? Api.Gone("This member's inbox is gone: it left or expired. Join again.")
            : Api.Ok(new MessagePage(messages));
    }
}
