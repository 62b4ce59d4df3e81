using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace FunctionsChat.Bench;

/// <summary>
/// A member that behaves like the page (StaticSite/lib/longpoll.js, cursor.js, merge.js, outbox.js, completeness.js):
/// it reads history after joining and again after every failed request (a "gap fill"), from a cursor a few seconds
/// behind the newest message it holds; when an answer names a message it does not hold and that message has not come
/// within the grace, it reads history from a little before it (a "completeness fill"); it shows each message id
/// once, and retries a failed send with the same clientMessageId.
/// Unlike the page it never rejoins: a lost membership (401/403/410) is counted and the member keeps backing off.
/// </summary>
public static class PageClient
{
    /// <summary>cursor.js's OVERLAP_MS: a message with a smaller id can become readable after a larger one.</summary>
    private static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    /// <summary>cursor.js's RECONNECT_OVERLAP_MS: a fill after a break reads this far behind the newest message held.</summary>
    private static readonly TimeSpan ReconnectOverlap = TimeSpan.FromSeconds(35);

    /// <summary>The page's PAGE_SIZE.</summary>
    private const int PageSize = 100;

    /// <summary>completeness.js's CHECK_GRACE_MS.</summary>
    private static readonly TimeSpan CheckGrace = TimeSpan.FromSeconds(2);

    /// <summary>outbox.js gives up well before the server forgets a clientMessageId (10 minutes).</summary>
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(5);

    public static async Task ReceiveAsync(ChatHttp http, JoinedMember member, int timeoutSeconds, Tally tally, PageStats stats, CancellationToken stop)
    {
        var held = new SortedSet<string>(StringComparer.Ordinal);
        var check = new CompletenessCheck(http, member, held, tally, stats, stop);
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
                    var filled = await ReadMissingAsync(http, member, Snapshot(held), before: null, initialLoad ? null : stats, stop);
                    var fresh = Keep(filled, held);
                    tally.Arrived(member.Index, fresh.Select(m => m.Text), viaFill: !initialLoad);
                    if (!initialLoad)
                    {
                        stats.FillDone(member.Index, filled.Count - fresh.Count, Stopwatch.GetElapsedTime(brokenSince!.Value));
                    }
                    initialLoad = needsFill = false;
                    brokenSince = null;
                }
                var (messages, latestId) = await http.PollPageAsync(member, timeoutSeconds, stop);
                backoff.Reset();
                stats.ApiDuplicateCopies(messages.Count(m => !polledIds.Add(m.Id)));
                var polled = Keep(messages, held);
                stats.PollDuplicatesDropped(messages.Count - polled.Count);
                tally.Arrived(member.Index, polled.Select(m => m.Text));
                check.Expect(latestId);
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

    /// <summary>
    /// completeness.js: an id an answer named that is not held is read from history once the grace has passed without
    /// it, alongside the polls (which go on meanwhile).
    /// </summary>
    private sealed class CompletenessCheck(ChatHttp http, JoinedMember member, SortedSet<string> held, Tally tally, PageStats stats, CancellationToken stop)
    {
        /// <summary>Every named id not held yet, not just the oldest (completeness.js).</summary>
        private readonly SortedSet<string> expected = new(StringComparer.Ordinal);
        private bool timing;

        public void Expect(string? id)
        {
            lock (held)
            {
                if (id is null || held.Contains(id) || (held.Count > 0 && string.CompareOrdinal(id, held.Min) < 0))
                {
                    return;
                }
                expected.Add(id);
                if (timing)
                {
                    return;
                }
                timing = true;
            }
            _ = CheckLaterAsync();
        }

        private async Task CheckLaterAsync()
        {
            List<string> missing = [];
            try
            {
                await Task.Delay(CheckGrace, stop);
                lock (held)
                {
                    missing = expected.Where(id => !held.Contains(id)).ToList();
                    expected.Clear();
                    timing = false;
                }
                if (missing.Count > 0)
                {
                    var filled = await ReadMissingAsync(http, member, Snapshot(held), before: missing[0], stats, stop);
                    var fresh = Keep(filled, held);
                    stats.CompletenessFillDone(member.Index, fresh.Count);
                    tally.Arrived(member.Index, fresh.Select(m => m.Text), viaFill: true);
                    missing.Skip(1).ToList().ForEach(Expect); // those the read did not bring are checked again
                }
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                lock (held)
                {
                    timing = false;
                }
                if (!stop.IsCancellationRequested)
                {
                    missing.ForEach(Expect); // tried again after the grace: no later answer names a lost copy again
                }
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
    private static List<WireMessage> Keep(IReadOnlyList<WireMessage> messages, SortedSet<string> held)
    {
        lock (held)
        {
            return messages.Where(m => held.Add(m.Id)).ToList();
        }
    }

    private static SortedSet<string> Snapshot(SortedSet<string> held)
    {
        lock (held)
        {
            return new SortedSet<string>(held, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// cursor.js's readMissing (and with <paramref name="before"/>, readMissingBefore: only held ids below it count):
    /// the newest page when no held message is at least <see cref="Overlap"/> older than the newest held one, otherwise
    /// every page after the newest such message. <paramref name="stats"/> counts the reads of a fill (null for the
    /// initial load).
    /// </summary>
    private static async Task<IReadOnlyList<WireMessage>> ReadMissingAsync(ChatHttp http, JoinedMember member, SortedSet<string> held, string? before, PageStats? stats, CancellationToken stop)
    {
        if (before is not null)
        {
            held.RemoveWhere(id => string.CompareOrdinal(id, before) >= 0);
        }
        var after = OverlapCursor(held, before is null ? ReconnectOverlap : Overlap);
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
    private static string? OverlapCursor(SortedSet<string> held, TimeSpan overlap)
    {
        if (held.Count == 0 || !long.TryParse(held.Max.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var newest))
        {
            return null;
        }
        var bound = string.Create(CultureInfo.InvariantCulture, $"{newest - overlap.Ticks:D19}-ffffffff");
        return string.CompareOrdinal(held.Min, bound) > 0 ? null : held.GetViewBetween(held.Min!, bound).Max;
    }
}
