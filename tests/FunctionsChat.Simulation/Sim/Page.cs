using System.Globalization;
using System.Net;
using System.Text.Json;
using FunctionsChat.Members;
using FunctionsChat.Messages;
using FunctionsChat.Delivery;

namespace FunctionsChat.Simulation.Sim;

/// <summary>A message as a page receives it.</summary>
public sealed record PageMessage(string Id, string Text, DateTimeOffset SentAt);

/// <summary>
/// One browser tab, doing what the page does (StaticSite/lib/longpoll.js, session.js, outbox.js, cursor.js, merge.js,
/// backoff.js), in the order issue 17 asks of it: join first, then read history, then long-poll (30 s); after any
/// failed request read history again from a cursor 5 s behind the newest message held; when an answer names a
/// message (latestId) not held 2 s later, read history from before it (completeness.js); rejoin after 401/403/410;
/// show each id once. Its outbox sends one message at a time and retries with the same clientMessageId.
/// </summary>
public sealed class Page
{
    public const int LongPollSeconds = 30;
    public const int PageSize = 100;
    public static readonly TimeSpan Overlap = TimeSpan.FromSeconds(5);

    /// <summary>cursor.js's RECONNECT_OVERLAP_MS: a fill after a break reads this far behind the newest message held.</summary>
    public static readonly TimeSpan ReconnectOverlap = TimeSpan.FromSeconds(35);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(5);

    private readonly Cluster cluster;
    private readonly Random random;
    private readonly IPAddress address;
    private readonly SortedDictionary<string, PageMessage> held = new(StringComparer.Ordinal);
    private readonly Queue<Outgoing> outbox = new();
    private Task<bool>? joining;
    private bool draining;
    private int written;

    public Page(Cluster cluster, string label, string person, int index, Random random)
    {
        this.cluster = cluster;
        this.random = random;
        Label = label;
        Person = person;
        address = new IPAddress([10, 1, (byte)(index / 250), (byte)(index % 250 + 1)]);
    }

    public string Label { get; }

    public IPAddress Address => address;

    public string Person { get; }

    /// <summary>When the first join was answered: from then on every accepted message must reach this page.</summary>
    public DateTimeOffset? OnlineSince { get; private set; }

    public string? UserId { get; private set; }

    private string? token;

    /// <summary>Each message shown, by text, with when it was first shown and how (poll or fill).</summary>
    public Dictionary<string, (DateTimeOffset At, bool ViaFill)> Shown { get; } = new(StringComparer.Ordinal);

    /// <summary>Copies a poll brought of a message already shown (the page drops them by id).</summary>
    public int Duplicates { get; private set; }

    public int Fills { get; private set; }

    /// <summary>History reads because an answer named a message not held 2 s later.</summary>
    public int CompletenessFills { get; private set; }

    public static readonly TimeSpan CheckGrace = TimeSpan.FromSeconds(2);

    /// <summary>Every named id not held yet, not just the oldest (completeness.js).</summary>
    private readonly SortedSet<string> expected = new(StringComparer.Ordinal);
    private bool checking;

    /// <summary>completeness.js: a named id not held is read from history once the grace passed without it.</summary>
    private void Expect(string? id)
    {
        if (id is null || held.ContainsKey(id) || (held.Count > 0 && string.CompareOrdinal(id, held.Keys.First()) < 0))
        {
            return;
        }
        expected.Add(id);
        if (!checking)
        {
            checking = true;
            _ = CheckLaterAsync();
        }
    }

    private async Task CheckLaterAsync()
    {
        await cluster.Loop.Delay(CheckGrace);
        var missing = expected.Where(id => !held.ContainsKey(id)).ToList();
        expected.Clear();
        checking = false;
        if (missing.Count == 0)
        {
            return;
        }
        try
        {
            CompletenessFills++;
            await FillAsync(initialLoad: false, before: missing[0]);
            missing.Skip(1).ToList().ForEach(Expect);
        }
        catch (PageError)
        {
            // Tried again after the grace: an answer that named a lost copy will not name it again.
            missing.ForEach(Expect);
        }
    }

    public int Rejoins { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        var backoff = new Backoff(random);
        var needsFill = true;
        var loaded = false;
        while (!stop.IsCancellationRequested)
        {
            string? actedAs = null;
            try
            {
                actedAs = await EnsureMemberAsync();
                if (needsFill)
                {
                    await FillAsync(!loaded);
                    needsFill = false;
                    loaded = true;
                }
                actedAs = token;
                var response = await cluster.RequestAsync(this, "poll", "GET", null, actedAs, $"timeout={LongPollSeconds}",
                    static (sp, r, ct) => Function<PollUpdates>(sp).Run(r, Cluster.Room, ct));
                Check(response);
                backoff.Reset();
                Show(Messages(response), viaFill: false);
                Expect(response.Json.RootElement.TryGetProperty("latestId", out var latest) ? latest.GetString() : null);
            }
            catch (PageError e)
            {
                needsFill = true;
                await RecoverAsync(e, actedAs, backoff);
            }
        }
    }

    /// <summary>The person writes: queued, sent in order, retried with its clientMessageId.</summary>
    public void Write()
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"{Label}#{++written}");
        outbox.Enqueue(new Outgoing(text, $"cm-{Label}-{written}", cluster.Clock.GetUtcNow()));
        cluster.Trace.Add(Label, $"writes {text}");
        if (!draining)
        {
            _ = DrainAsync();
        }
    }

    private async Task DrainAsync()
    {
        draining = true;
        while (outbox.TryPeek(out var entry))
        {
            await DeliverAsync(entry);
            outbox.Dequeue();
        }
        draining = false;
    }

    private async Task DeliverAsync(Outgoing entry)
    {
        var backoff = new Backoff(random);
        while (true)
        {
            string? actedAs = null;
            try
            {
                actedAs = await EnsureMemberAsync();
                var body = JsonSerializer.Serialize(new { text = entry.Text, clientMessageId = entry.ClientMessageId });
                cluster.Sent(entry);
                var response = await cluster.RequestAsync(this, "send " + entry.Text, "POST", body, actedAs, "",
                    static (sp, r, ct) => Function<SendMessage>(sp).Run(r, Cluster.Room, ct));
                Check(response);
                var message = ParseMessage(response.Json.RootElement);
                cluster.Accepted(entry, message, this);
                return;
            }
            catch (PageError e)
            {
                if (actedAs is not null && e.Status is 401 or 403 or 410)
                {
                    await RejoinAsync(actedAs);
                    continue;
                }
                var worthRetrying = e.Status is 0 or 408 or 429 or >= 500;
                if (!worthRetrying || cluster.Clock.GetUtcNow() - entry.CreatedAt > GiveUpAfter)
                {
                    cluster.Trace.Add(Label, $"gives up on {entry.Text}: {e.Status}");
                    cluster.GaveUp(entry);
                    return;
                }
                await cluster.Loop.Delay(backoff.Next(e.RetryAfter));
            }
        }
    }

    /// <summary>session.js: one join at a time; the poll loop and the outbox share it.</summary>
    private async Task<string> EnsureMemberAsync()
    {
        while (token is null)
        {
            joining ??= JoinAsync();
            var joined = await joining;
            joining = null;
            if (!joined)
            {
                throw new PageError(0, null, "join failed");
            }
        }
        return token;
    }

    private async Task<bool> JoinAsync()
    {
        var response = await cluster.RequestAsync(this, "join", "POST", JsonSerializer.Serialize(new { name = Person }), null, "",
            static (sp, r, ct) => Function<JoinRoom>(sp).Run(r, Cluster.Room, ct));
        if (response.Status != 201)
        {
            lastJoinError = new PageError(response.Status, response.RetryAfter, response.Error);
            return false;
        }
        var json = response.Json.RootElement;
        UserId = json.GetProperty("userId").GetString()!;
        token = json.GetProperty("token").GetString()!;
        OnlineSince ??= cluster.Clock.GetUtcNow();
        cluster.Trace.Add(Label, $"joined as {cluster.Trace.Label("u", UserId)}");
        return true;
    }

    private PageError? lastJoinError;

    private Task RejoinAsync(string stale)
    {
        if (token == stale)
        {
            Rejoins++;
            token = null;
        }
        return Task.CompletedTask;
    }

    private async Task RecoverAsync(PageError error, string? actedAs, Backoff backoff)
    {
        if (actedAs is not null && error.Status is 401 or 403 or 410)
        {
            await RejoinAsync(actedAs);
            return;
        }
        if (error.Message == "join failed" && lastJoinError is not null)
        {
            error = lastJoinError;
        }
        await cluster.Loop.Delay(backoff.Next(error.RetryAfter));
    }

    /// <summary>
    /// cursor.js's readMissing: the newest page, or every page after the overlapping cursor (of the messages held
    /// below <paramref name="before"/>, when given: readMissingBefore).
    /// </summary>
    private async Task FillAsync(bool initialLoad, string? before = null)
    {
        var after = OverlapCursor(before, before is null ? ReconnectOverlap : Overlap);
        var collected = new List<PageMessage>();
        while (true)
        {
            var query = "limit=" + PageSize + (after is null ? "" : "&after=" + after);
            var response = await cluster.RequestAsync(this, initialLoad ? "history" : "fill", "GET", null, null, query,
                static (sp, r, ct) => Function<GetMessages>(sp).Run(r, Cluster.Room, ct));
            Check(response);
            var page = Messages(response);
            collected.AddRange(page);
            if (after is null || page.Count < PageSize)
            {
                break;
            }
            after = page[^1].Id;
        }
        if (!initialLoad)
        {
            Fills++;
        }
        Show(collected, viaFill: !initialLoad);
    }

    private string? OverlapCursor(string? before, TimeSpan overlap)
    {
        var below = before is null ? held.Values.ToList() : held.Values.Where(m => string.CompareOrdinal(m.Id, before) < 0).ToList();
        if (below.Count == 0)
        {
            return null;
        }
        var newestAt = below[^1].SentAt;
        return below.LastOrDefault(m => m.SentAt <= newestAt - overlap)?.Id;
    }

    /// <summary>A broken page that shows nothing it receives (to prove the invariants can fail).</summary>
    public bool Deaf { get; init; }

    private void Show(IReadOnlyList<PageMessage> messages, bool viaFill)
    {
        if (Deaf)
        {
            return;
        }
        var now = cluster.Clock.GetUtcNow();
        foreach (var message in messages)
        {
            if (held.TryAdd(message.Id, message))
            {
                Shown.TryAdd(message.Text, (now, viaFill));
            }
            else if (!viaFill)
            {
                Duplicates++;
            }
        }
        if (messages.Count > 0)
        {
            cluster.Trace.Add(Label, $"{(viaFill ? "fill" : "poll")} shows {string.Join(" ", messages.Select(m => m.Text))}");
        }
    }

    private static void Check(SimResponse response)
    {
        if (response.Status is < 200 or > 299)
        {
            throw new PageError(response.Status, response.RetryAfter, response.Error);
        }
    }

    private static List<PageMessage> Messages(SimResponse response) =>
        response.Json.RootElement.GetProperty("messages").EnumerateArray().Select(ParseMessage).ToList();

    private static PageMessage ParseMessage(JsonElement m) =>
        new(m.GetProperty("id").GetString()!, m.GetProperty("text").GetString()!, m.GetProperty("sentAt").GetDateTimeOffset());

    private static T Function<T>(IServiceProvider services) where T : class =>
        Microsoft.Extensions.DependencyInjection.ActivatorUtilities.CreateInstance<T>(services);

    public sealed record Outgoing(string Text, string ClientMessageId, DateTimeOffset CreatedAt);

    private sealed class PageError(int status, string? retryAfter, string? error) : Exception(error ?? $"HTTP {status}")
    {
        public int Status => status;

        public TimeSpan? RetryAfter => int.TryParse(retryAfter, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? TimeSpan.FromSeconds(seconds) : null;
    }

    /// <summary>backoff.js: 500 ms doubling to 30 s, equal jitter; a Retry-After wins, plus up to 500 ms.</summary>
    private sealed class Backoff(Random random)
    {
        private int attempt;

        public TimeSpan Next(TimeSpan? retryAfter)
        {
            attempt++;
            if (retryAfter is { } after)
            {
                return after + TimeSpan.FromMilliseconds(Math.Round(random.NextDouble() * 500));
            }
            var ceiling = Math.Min(30_000, 500 * Math.Pow(2, attempt - 1));
            return TimeSpan.FromMilliseconds(Math.Round(ceiling / 2 + random.NextDouble() * ceiling / 2));
        }

        public void Reset() => attempt = 0;
    }
}
