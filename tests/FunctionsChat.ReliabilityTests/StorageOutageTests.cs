using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using Xunit.Abstractions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// Fault 3: storage goes away. A private Azurite with its data on disk is stopped for several seconds while two
/// people keep typing, then started again on the same ports and data.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class StorageOutageTests(Browser browser, ITestOutputHelper output)
{
    /// <summary>Longer than any single request may take here: the SDK gives up after 3 tries of at most 10 s.</summary>
    private static readonly TimeSpan RequestBound = TimeSpan.FromSeconds(40);

    [Fact]
    public async Task WhileAzuriteIsStoppedTheApiAnswers503AndWhatWasTypedArrivesOnceWhenItIsBack()
    {
        await using var azurite = await PrivateAzurite.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["Chat__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
            ["Chat__JoinLimitPerMinute"] = ChatEnvironment.JoinLimitForTests, // the probe joins every round
            // A connection string, not UseDevelopmentStorage: DevServer leaves this Azurite alone.
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
        };
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        var room = Rooms.New("outage");
        var traffic = new Traffic();
        var alice = await Person.OpenAsync(browser.Chromium, server.BaseAddress, room, "Alice");
        var bob = await Person.OpenAsync(browser.Chromium, server.BaseAddress, room, "Bob");
        using var http = new ChatApi(server.BaseAddress, RequestBound);
        try
        {
            traffic.Watch(alice, "Alice");
            traffic.Watch(bob, "Bob");
            string[] before = ["before the outage, from Alice", "before the outage, from Bob"];
            await alice.TypeAndSendAsync(before[0]);
            await bob.WaitUntilShownAsync([before[0]], TimeSpan.FromSeconds(30), "Bob");
            await bob.TypeAndSendAsync(before[1]);
            await alice.WaitUntilShownAsync([before[1]], TimeSpan.FromSeconds(30), "Alice");
            var carol = await http.JoinAsync(room, "Carol the probe");
            var historyBefore = await http.AllMessagesAsync(room);

            // Storage goes away. A probe keeps asking every route while it is gone.
            await azurite.StopAsync();
            var stoppedAt = DateTime.UtcNow;
            using var stopProbing = new CancellationTokenSource();
            var probes = new ConcurrentQueue<Probe>();
            var probing = ProbeAsync(http, room, carol, probes, stopProbing.Token);

            string[] during = ["typed during the outage, from Alice", "typed during the outage, from Bob", "second during the outage, from Alice"];
            await alice.TypeAndSendAsync(during[0]);
            await bob.TypeAndSendAsync(during[1]);
            await alice.TypeAndSendAsync(during[2]);
            // Several seconds, and long enough that both pages' sends and the probe have met the outage.
            await Eventually.UntilAsync(() =>
                DateTime.UtcNow - stoppedAt > TimeSpan.FromSeconds(8) &&
                probes.Any(p => p.Route == "health" && p.Status == 503) &&
                probes.Any(p => p.Route == "send" && p.Status == 503) &&
                traffic.All.Any(s => s.Who == "Alice" && s.Method == "POST" && s.Status == 503 && s.At > stoppedAt) &&
                traffic.All.Any(s => s.Who == "Bob" && s.Method == "POST" && s.Status == 503 && s.At > stoppedAt),
                TimeSpan.FromSeconds(90), "the outage is seen by the probe and by both pages' sends",
                () => $"probes: {string.Join(", ", probes)}; pages: {Traffic.Summary(traffic.All)}");
            Assert.True(await alice.Pending.CountAsync() >= 1 && await bob.Pending.CountAsync() >= 1, "what was typed during the outage waits in the outbox");

            var restartedAt = DateTime.UtcNow; // from here on Azurite may answer
            await azurite.StartAgainAsync();
            await Eventually.UntilAsync(async () => (await http.HealthAsync()).Status == 200, TimeSpan.FromSeconds(60), "health is 200 again");
            var healthyAt = DateTime.UtcNow;
            await stopProbing.CancelAsync();
            await probing;

            string[] all = [.. before, .. during];
            var onAlice = await alice.WaitUntilShownAsync(all, TimeSpan.FromSeconds(60), "Alice");
            var onBob = await bob.WaitUntilShownAsync(all, TimeSpan.FromSeconds(60), "Bob");
            var deliveredAfter = DateTime.UtcNow - healthyAt;
            await alice.TypeAndSendAsync("after the outage, live");
            all = [.. all, "after the outage, live"];
            onAlice = await alice.WaitUntilShownAsync(all, TimeSpan.FromSeconds(30), "Alice");
            onBob = await bob.WaitUntilShownAsync(all, TimeSpan.FromSeconds(30), "Bob");

            // During the outage: 503 with a problem body and Retry-After, never another 5xx, never a hang.
            var duringOutage = probes.Where(p => p.At >= stoppedAt && p.At + p.Took <= restartedAt).ToList();
            output.WriteLine($"Storage down {(restartedAt - stoppedAt).TotalSeconds:0.0} s, healthy {(healthyAt - restartedAt).TotalSeconds:0.0} s after " +
                $"the restart began, everything shown {deliveredAfter.TotalSeconds:0.0} s after that.");
            output.WriteLine($"Probe answers during the outage: {Summary(duringOutage)}; slowest {duringOutage.Max(p => p.Took).TotalSeconds:0.0} s.");
            output.WriteLine($"Page responses: {Traffic.Summary(traffic.All)}");
            Assert.NotEmpty(duringOutage);
            Assert.All(duringOutage, p =>
            {
                Assert.True(p.Status == 503, $"{p} during the outage (expected 503)");
                Assert.True(p.ProblemJson && p.RetryAfter is not null, $"{p}: a 503 carries a problem body and Retry-After");
            });
            Assert.All(probes, p => Assert.True(p.Took < RequestBound, $"{p} took too long"));
            Assert.DoesNotContain(probes, p => p.Status >= 500 && p.Status != 503);
            Assert.DoesNotContain(traffic.All, s => s.Status >= 500 && s.Status != 503);
            Assert.Equal(200, (await http.HealthAsync()).Status);

            // History intact: every message from before the outage, with its id; everything typed once.
            var historyAfter = await http.AllMessagesAsync(room);
            foreach (var message in historyBefore)
            {
                Assert.Contains(historyAfter, m => m.GetProperty("id").GetString() == message.GetProperty("id").GetString() &&
                    m.GetProperty("text").GetString() == message.GetProperty("text").GetString());
            }
            // A 503 does not promise "not stored": the write may land after the answer. The page retries with the same
            // clientMessageId, so that is harmless there; the probe does not retry, so count what happened to it.
            var storedProbes = historyAfter.Select(m => m.GetProperty("text").GetString()!).Where(t => t.StartsWith("probe", StringComparison.Ordinal)).ToHashSet();
            var probeSends = probes.Where(p => p.Route == "send").ToList();
            var answered503ButStored = probeSends.Count(p => p.Status == 503 && storedProbes.Contains(p.Text!));
            output.WriteLine($"Sent {all.Length} from the pages; stored {historyAfter.Count - storedProbes.Count}; Alice shows " +
                $"{onAlice.Count(m => !m.Text.StartsWith("probe", StringComparison.Ordinal))}, Bob " +
                $"{onBob.Count(m => !m.Text.StartsWith("probe", StringComparison.Ordinal))}. Probe sends: {probeSends.Count}, " +
                $"{probeSends.Count(p => p.Status == 201)} stored with 201, {answered503ButStored} answered 503 but stored anyway.");
            ChatPage.AssertEachExactlyOnce(onAlice, all, "Alice");
            ChatPage.AssertEachExactlyOnce(onBob, all, "Bob");
            Assert.All(all, text => Assert.Single(historyAfter, m => m.GetProperty("text").GetString() == text));
            var logLines = server.Output.Split('\n');
            output.WriteLine($"DevServer log during the test: {logLines.Count(l => l.StartsWith("warn:", StringComparison.Ordinal))} warnings, " +
                $"{logLines.Count(l => l.StartsWith("fail:", StringComparison.Ordinal))} errors ({string.Join(", ", logLines.Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("warn:", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct())}).");
            Assert.DoesNotContain(logLines, line => line.Contains("Unhandled exception", StringComparison.OrdinalIgnoreCase));
            ChatPage.AssertNoScriptErrors(alice, bob);
        }
        finally
        {
            await alice.CloseAsync();
            await bob.CloseAsync();
        }
    }

    [Fact]
    public async Task WhileAzuriteHangsEveryRequestStillEndsWithin503AndItsTimeout()
    {
        await using var azurite = await PrivateAzurite.StartAsync();
        var environment = new Dictionary<string, string>
        {
            ["Chat__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
        };
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        using var http = new ChatApi(server.BaseAddress, TimeSpan.FromSeconds(90)); // the client waits longer than the server may
        var room = Rooms.New("frozen");
        var member = await http.JoinAsync(room, "Patient");
        Assert.Equal(201, (await http.SendMessageAsync(room, member.Token, "before the freeze", "before")).Status);

        azurite.Freeze();
        var frozenAt = DateTime.UtcNow;
        Answer health, history, send, poll;
        try
        {
            var calls = new[]
            {
                http.HealthAsync(),
                http.HistoryAsync(room),
                http.SendMessageAsync(room, member.Token, "during the freeze", "during"),
                http.PollAsync(room, member.Token, 5),
            };
            var answers = await Task.WhenAll(calls);
            (health, history, send, poll) = (answers[0], answers[1], answers[2], answers[3]);
        }
        finally
        {
            azurite.Thaw();
        }
        var thawedAt = DateTime.UtcNow;
        await Eventually.UntilAsync(async () => (await http.HealthAsync()).Status == 200, TimeSpan.FromSeconds(60), "health is 200 again");
        var healthyAfter = DateTime.UtcNow - thawedAt;
        // The message typed during the freeze is sent again, as the page would (same clientMessageId): stored once.
        var retried = await http.SendMessageAsync(room, member.Token, "during the freeze", "during");

        output.WriteLine($"Azurite frozen (SIGSTOP) for {(thawedAt - frozenAt).TotalSeconds:0.0} s. health {health}; history {history.Status} in " +
            $"{history.Took.TotalSeconds:0.0} s; send {send.Status} in {send.Took.TotalSeconds:0.0} s; poll {poll.Status} in {poll.Took.TotalSeconds:0.0} s; " +
            $"healthy {healthyAfter.TotalSeconds:0.0} s after SIGCONT; the retried send: {retried.Status}.");
        // Health has its own 5 s probe timeout; every other call gives up after the SDK's 3 tries of at most 10 s.
        Assert.Equal(503, health.Status);
        Assert.True(health.Took < TimeSpan.FromSeconds(10), $"health took {health.Took.TotalSeconds:0.0} s");
        foreach (var (what, answer) in new[] { ("history", history), ("send", send), ("poll", poll) })
        {
            Assert.True(answer.Status == 503, $"{what} while storage hangs: {answer}");
            Assert.True(answer.Took < RequestBound, $"{what} took {answer.Took.TotalSeconds:0.0} s");
            Assert.Equal("application/problem+json", answer.ContentType);
            Assert.NotNull(answer.RetryAfter);
        }
        Assert.True(retried.Status is 200 or 201, $"the retried send: {retried}");
        // The member's own messages, leaving out the server's join notice (notices are on here, as by default).
        var stored = (await http.AllMessagesAsync(room)).Where(m => !m.TryGetProperty("kind", out _));
        Assert.Equal(["before the freeze", "during the freeze"], stored.Select(m => m.GetProperty("text").GetString()));
    }

    private sealed record Probe(DateTime At, string Route, int Status, TimeSpan Took, bool ProblemJson, string? RetryAfter, string? Text = null)
    {
        public override string ToString() => $"{Route} {Status} ({Took.TotalMilliseconds:0} ms)";
    }

    private static string Summary(IEnumerable<Probe> probes) =>
        string.Join(", ", probes.GroupBy(p => $"{p.Route} {p.Status}").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} ×{g.Count()}"));

    /// <summary>Every route a client uses, one round every half second; Carol is a member joined before the outage.</summary>
    private static async Task ProbeAsync(ChatApi http, string room, Member carol, ConcurrentQueue<Probe> probes, CancellationToken stop)
    {
        var round = 0;
        while (!stop.IsCancellationRequested)
        {
            round++;
            var text = $"probe {round}";
            (string Route, Func<Task<Answer>> Call)[] calls =
            [
                ("health", () => http.HealthAsync()),
                ("history", () => http.HistoryAsync(room, "?limit=10")),
                ("members", () => http.MembersAsync(room)),
                ("send", () => http.SendMessageAsync(room, carol.Token, text, $"probe-{round}")),
                ("poll", () => http.PollAsync(room, carol.Token, 1)),
                ("join", () => http.SendAsync(HttpMethod.Post, $"api/rooms/{room}/members")),
            ];
            foreach (var (route, call) in calls)
            {
                var at = DateTime.UtcNow;
                var clock = Stopwatch.StartNew();
                try
                {
                    var answer = await call();
                    probes.Enqueue(new Probe(at, route, answer.Status, clock.Elapsed, answer.ContentType == "application/problem+json", answer.RetryAfter, route == "send" ? text : null));
                }
                catch (TaskCanceledException)
                {
                    probes.Enqueue(new Probe(at, route, -1, clock.Elapsed, false, null)); // the client's timeout: a hang
                }
            }
            try
            {
                await Task.Delay(500, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
