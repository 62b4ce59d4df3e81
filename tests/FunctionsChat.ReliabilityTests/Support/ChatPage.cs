using System.Text.Json;
using Microsoft.Playwright;

namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>A delivered message as the page shows it: its id (data-id) and text.</summary>
public sealed record Shown(string Id, string Text);

/// <summary>What a test reads off a person's page while things break.</summary>
public static class ChatPage
{
    private const string ReadMessages = """
        () => JSON.stringify([...document.querySelectorAll('[data-testid=message-list] [data-testid=message]')]
          .map(m => ({ id: m.dataset.id, text: m.querySelector('[data-testid=message-text]').textContent })))
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Every delivered message in the list, in page order (pending ones in the outbox are not included).</summary>
    public static async Task<IReadOnlyList<Shown>> ShownAsync(this Person person) =>
        JsonSerializer.Deserialize<Shown[]>(await person.Page.EvaluateAsync<string>(ReadMessages), Json)!;

    public static Task<string?> ConnectionStateAsync(this Person person) =>
        person.Page.GetByTestId("connection-state").GetAttributeAsync("data-state");

    /// <summary>Waits until every text is delivered on the page, then returns what the page shows.</summary>
    public static async Task<IReadOnlyList<Shown>> WaitUntilShownAsync(this Person person, IEnumerable<string> texts, TimeSpan timeout, string who)
    {
        var wanted = texts.ToHashSet(StringComparer.Ordinal);
        IReadOnlyList<Shown> shown = [];
        await Eventually.UntilAsync(async () =>
        {
            shown = await person.ShownAsync();
            return wanted.IsSubsetOf(shown.Select(m => m.Text));
        }, timeout, $"{who}'s page shows all {wanted.Count} messages", async () =>
        {
            var pending = await person.Pending.CountAsync();
            return $"missing: [{string.Join(", ", wanted.Except(shown.Select(m => m.Text)))}]; pending in the outbox: {pending}; " +
                $"state: {await person.ConnectionStateAsync()}; shown: [{string.Join(", ", shown.Select(m => m.Text))}]";
        });
        return shown;
    }

    /// <summary>No id twice, and each expected text exactly once: nothing lost, nothing duplicated.</summary>
    public static void AssertEachExactlyOnce(IReadOnlyList<Shown> shown, IEnumerable<string> texts, string who)
    {
        var duplicateIds = shown.GroupBy(m => m.Id).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicateIds.Count == 0, $"{who}'s page shows ids more than once: {string.Join(", ", duplicateIds)}");
        foreach (var text in texts)
        {
            var count = shown.Count(m => m.Text == text);
            Assert.True(count == 1, $"{who}'s page shows '{text}' {count} times (expected once).");
        }
        var ordered = shown.Select(m => m.Id).ToList();
        Assert.True(ordered.SequenceEqual(ordered.Order(StringComparer.Ordinal)),
            $"{who}'s page is not in id order: {string.Join(", ", shown.Select(m => $"{m.Id} '{m.Text}'"))}");
    }

    /// <summary>
    /// Uncaught errors fail a test. Console lines about failed resource loads do not: while the server or storage is
    /// down they are the expected symptom, and the response log (<see cref="Traffic"/>) checks the statuses instead.
    /// </summary>
    public static void AssertNoScriptErrors(params Person[] people)
    {
        var errors = people.SelectMany(p => p.Errors)
            .Where(e => !e.StartsWith("console.error: Failed to load resource", StringComparison.Ordinal))
            .ToList();
        Assert.True(errors.Count == 0, "The page logged errors:\n" + string.Join("\n", errors));
    }

    /// <summary>Makes the page's long polls ask for <paramref name="seconds"/> instead of 30 (see the expiry test).</summary>
    public static Task ShortenLongPollsAsync(IBrowserContext context, int seconds) =>
        context.RouteAsync(url => url.Contains("/updates?timeout=30", StringComparison.Ordinal), route =>
            route.ContinueAsync(new RouteContinueOptions { Url = route.Request.Url.Replace("timeout=30", $"timeout={seconds}") }));
}

/// <summary>Every API response a page received (status 0: the request failed without an answer).</summary>
public sealed class Traffic
{
    public sealed record Seen(DateTime At, string Who, string Method, string Path, int Status, string? Failure);

    private readonly List<Seen> _seen = [];

    public void Watch(Person person, string who)
    {
        person.Page.Response += (_, response) =>
        {
            if (response.Url.Contains("/api/", StringComparison.Ordinal))
            {
                Add(new Seen(DateTime.UtcNow, who, response.Request.Method, PathOf(response.Url), response.Status, null));
            }
        };
        person.Page.RequestFailed += (_, request) =>
        {
            if (request.Url.Contains("/api/", StringComparison.Ordinal))
            {
                Add(new Seen(DateTime.UtcNow, who, request.Method, PathOf(request.Url), 0, request.Failure));
            }
        };
    }

    public IReadOnlyList<Seen> All
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    public IReadOnlyList<Seen> Between(DateTime from, DateTime to) => All.Where(s => s.At >= from && s.At <= to).ToList();

    public static string Summary(IEnumerable<Seen> seen) =>
        string.Join(", ", seen.GroupBy(s => $"{s.Method} {Route(s.Path)} {(s.Status == 0 ? "failed" : s.Status.ToString())}")
            .OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}"));

    /// <summary>The route with the room and user id taken out, to group by.</summary>
    public static string Route(string path)
    {
        var parts = path.Split('?')[0].Split('/');
        if (parts.Length > 3 && parts[1] == "api" && parts[2] == "rooms")
        {
            parts[3] = "{room}";
            if (parts.Length > 5)
            {
                parts[5] = "{userId}";
            }
        }
        return string.Join('/', parts);
    }

    private void Add(Seen seen)
    {
        lock (_seen)
        {
            _seen.Add(seen);
        }
    }

    private static string PathOf(string url) => new Uri(url).PathAndQuery;
}
