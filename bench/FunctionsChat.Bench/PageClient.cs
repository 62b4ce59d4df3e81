using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace FunctionsChat.Bench;

/// <summary>
/// A member that behaves like the page (StaticSite/lib/longpoll.js, cursor.js, merge.js, outbox.js): it reads history
/// before its first poll and again after every failed request (a "gap fill"), from a cursor a few seconds behind the
/// newest message it holds, shows each message id once, and retries a failed send with the same clientMessageId.
/// Unlike the page it never rejoins: a lost membership (401/403/410) is counted and the member keeps backing off.
/// </summary>
public static class PageClient
{
    /// <summary>cursor.js's OVERLAP_MS: a message with a smaller id can become readable after a larger one.</summary>
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    /// <summary>The page's PAGE_SIZE.</summary>
    private const int PageSize = 100;

    /// <summary>outbox.js gives up well before the server forgets a clientMessageId (10 minutes).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(5);

    public static async Task ReceiveAsync(ChatHttp http, JoinedMember member, int timeoutSeconds, Tally tally, PageStats stats, CancellationToken stop)
    {
        var held = new SortedSet<string>(StringComparer.Ordinal);
        // Ids the polls brought: a second copy of one is the API's duplicate (a copy a fill already showed is not).
        var polledIds = new HashSet<string>(StringComparer.Ordinal);
        var backoff = new Backoff();
        var initialLoad = true;
        var needsFill = true;
        long? brokenSince = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (needsFill)
                {
                    var filled = await ReadMissingAsync(http, member, held, initialLoad ? null : stats, stop);
                    var fresh = Keep(filled, held);
                    tally.Arrived(member.Index, fresh.Select(m => m.Text), viaFill: !initialLoad);
                    if (!initialLoad)
                    {
                        stats.FillDone(member.Index, filled.Count - fresh.Count, Stopwatch.GetElapsedTime(brokenSince!.Value));
                    }
                    initialLoad = needsFill = false;
                    brokenSince = null;
                }
                var messages = await http.PollAsync(member, timeoutSeconds, stop);
                backoff.Reset();
                stats.ApiDuplicateCopies(messages.Count(m => !polledIds.Add(m.Id)));
                var polled = Keep(messages, held);
                stats.PollDuplicatesDropped(messages.Count - polled.Count);
                tally.Arrived(member.Index, polled.Select(m => m.Text));
            }
            catch (HttpRequestException e)
            {
                needsFill = true;
                brokenSince ??= Tally.Now;
                if (e.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.Gone)
                {
                    stats.MembershipLost();
                }
                await Receivers.PauseAsync(backoff.Next((e as ChatHttpException)?.RetryAfter), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>outbox.js's retries: no answer, 408, 429 and 5xx wait a back-off (Retry-After wins) and go again.</summary>
    public static async Task<bool> SendAsync(ChatHttp http, JoinedMember sender, string text, PageStats stats, CancellationToken stop)
    {
        var started = Stopwatch.GetTimestamp();
        var backoff = new Backoff();
        while (true)
        {
            try
            {
                await http.PostMessageAsync(sender, text, stop);
                return true;
            }
            catch (HttpRequestException e) when (IsWorthRetrying(e) && Stopwatch.GetElapsedTime(started) < GiveUpAfter)
            {
                stats.SendRetried();
                await Task.Delay(backoff.Next((e as ChatHttpException)?.RetryAfter), stop);
            }
            catch (HttpRequestException)
            {
                stats.SendGaveUp();
                return false;
            }
        }
    }

    private static bool IsWorthRetrying(HttpRequestException e) =>
        e.StatusCode is null or HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)e.StatusCode >= 500;

    /// <summary>merge.js: the messages whose ids are not held yet, now held.</summary>
    private static List<WireMessage> Keep(IReadOnlyList<WireMessage> messages, SortedSet<string> held) =>
        messages.Where(m => held.Add(m.Id)).ToList();

    /// <summary>
    /// cursor.js's readMissing: the newest page when no held message is at least <see cref="Overlap"/> older than the
    /// newest held one, otherwise every page after the newest such message. <paramref name="stats"/> counts the reads
    /// of a gap fill (null for the initial load).
    /// </summary>
    private static async Task<IReadOnlyList<WireMessage>> ReadMissingAsync(ChatHttp http, JoinedMember member, SortedSet<string> held, PageStats? stats, CancellationToken stop)
    {
        var after = OverlapCursor(held);
        var collected = new List<WireMessage>();
        while (true)
        {
            stats?.HistoryRead();
            var page = await http.HistoryAsync(member, after, PageSize, stop);
            collected.AddRange(page);
            if (after is null || page.Count < PageSize)
            {
                return collected;
            }
            after = page[^1].Id;
        }
    }

    /// <summary>
    /// An id's first 19 digits are its UTC ticks, which are also its sentAt (the server's MessageIds), so "sent at least
    /// 5 s before the newest" is "at most the newest id's ticks minus 5 s, any tail".
    /// </summary>
    private static string? OverlapCursor(SortedSet<string> held)
    {
        if (held.Count == 0 || !long.TryParse(held.Max.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var newest))
        {
            return null;
        }
        var bound = string.Create(CultureInfo.InvariantCulture, $"{newest - Overlap.Ticks:D19}-ffffffff");
        return string.CompareOrdinal(held.Min, bound) > 0 ? null : held.GetViewBetween(held.Min!, bound).Max;
    }
}
