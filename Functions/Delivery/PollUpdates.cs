using System.Globalization;
using FunctionsChat.Http;
using FunctionsChat.Members;
using FunctionsChat.Storage;
using FunctionsChat.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Delivery;

/// <summary>
/// A long poll's answer: what arrived, and the room's newest message as this instance knows it (or, when a copy for
/// this member was lost on its way, that message). A client that does not hold <paramref name="LatestId"/> reads
/// history from a little before it: the completeness check (docs/api.md).
/// </summary>
public sealed record UpdatesPage(IReadOnlyList<ChatMessage> Messages, string? LatestId);

public sealed class PollUpdates(MemberAccess access, Presence presence, InboxWaiter waiter, RoomLatest latest, ChatMetrics metrics, IOptions<ChatOptions> options, ILogger<PollUpdates> logger)
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
            // Normal, not a failure: the tab closed or the host cancelled the invocation. Should anyone still read
            // this, it is an empty page naming what this instance knows of the room, and they poll again.
            return Api.Ok(new UpdatesPage([], latest.Known(room)));
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
        // fall due together they would otherwise keep their polls from being ready for a hand-over. Not on the caller's
        // token: the caller leaving should not cut it short.
        var seen = presence.MarkSeenAsync(member!, CancellationToken.None);
        PollResult? result;
        try
        {
            result = await waiter.WaitAsync(room, member!.QueueName, wait, cancellationToken);
        }
        finally
        {
            // Never awaited: should the write fail or hang, the next poll writes lastSeen (due every 15 s, while a
            // member expires only after the member timeout without one).
            Observe(seen);
        }
        if (result is null)
        {
            metrics.PollAnswered(PollOutcome.Gone);
            return Api.Gone("This member's inbox is gone: it left or expired. Join again.");
        }
        metrics.PollAnswered(result.Messages.Count > 0 ? PollOutcome.Messages : PollOutcome.Empty);
        return Api.Ok(new UpdatesPage(result.Messages, result.MissedId ?? await LatestAsync(room, result.Messages.Count > 0, cancellationToken)));
    }

    /// <summary>
    /// The room's newest message for the answer. An answer with messages never reads for it, nor fails for it: it
    /// reports what is known, however old, and the member's next answer checks again (at the latest when its poll
    /// times out). An empty answer reports what a read at most 2 s old says.
    /// </summary>
    private async Task<string?> LatestAsync(string room, bool hasMessages, CancellationToken cancellationToken)
    {
        if (hasMessages)
        {
            return latest.Known(room);
        }
        return await latest.GetAsync(room, cancellationToken);
    }

    private void Observe(Task seen) => seen.ContinueWith(
        t => logger.LogDebug(t.Exception, "Could not write lastSeen alongside a poll"),
        CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
