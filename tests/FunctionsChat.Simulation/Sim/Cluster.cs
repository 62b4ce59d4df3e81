using System.Globalization;
using System.Net;
using FunctionsChat.Storage;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FunctionsChat.Simulation.Sim;

/// <summary>What one simulated run looks like.</summary>
public sealed record SimOptions
{
    public int Instances { get; init; } = 3;

    /// <summary>People in the room; some of them open a second tab (<see cref="SecondTabShare"/>).</summary>
    public int Members { get; init; } = 12;

    public double SecondTabShare { get; init; } = 0.2;

    /// <summary>Storage faults, outages, graceful stops and crashes. Off: latency, throughput limits and scale-out only.</summary>
    public bool Faults { get; init; }

    /// <summary>How long people write; then nobody writes and the pages have <see cref="Settle"/> to catch up.</summary>
    public TimeSpan Chat { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Long enough for a 30 s poll to end and a gap fill to follow (issue 17's bound is 35 s).</summary>
    public TimeSpan Settle { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Mean time between two messages of one person.</summary>
    public TimeSpan MeanThinkTime { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>When set, the whole room's messages per second instead of <see cref="MeanThinkTime"/>; 0: nobody writes.</summary>
    public double? RoomRate { get; init; }

    /// <summary>The figures (latency, operations per delivery) leave out what happens before this: the joins.</summary>
    public TimeSpan WarmUp { get; init; }

    /// <summary>Off: the instances started first are all there are (no scale-out, and with faults on no stops either).</summary>
    public bool Operator { get; init; } = true;

    /// <summary>Mean time between two operator actions (faults on).</summary>
    public TimeSpan MeanOperatorGap { get; init; } = TimeSpan.FromSeconds(12);

    /// <summary>For the test that the invariants can fail: one page shows nothing it is sent (a broken page).</summary>
    public bool DeafPage { get; init; }

    /// <summary>Keep every trace line (for comparing two runs), not only the last ones.</summary>
    public bool KeepWholeTrace { get; init; }

    /// <summary>The app's settings (Chat:...), on top of the simulation's own.</summary>
    public IReadOnlyDictionary<string, string?> AppSettings { get; init; } = new Dictionary<string, string?>();
}

/// <summary>
/// One seeded run: instances of the real app on the storage model, page-like clients that route each request to a
/// random live instance, an operator, and the invariants checked at the end (see <see cref="SimResult"/>).
/// </summary>
public sealed class Cluster
{
    public const string Room = "sim-room";

    /// <summary>
    /// ASSUMPTION: one way from a browser to the worker through the front end: 10–40 ms (no published figure; Azure's
    /// front end adds a few ms to the network's round trip within a region).
    /// </summary>
    private static readonly (double Min, double Max) NetworkMilliseconds = (10, 40);

    private readonly SimOptions options;
    private readonly Random clients;
    private readonly Random operatorRandom;
    private readonly List<SimInstance> instances = [];
    private readonly List<Page> pages = [];
    private readonly Dictionary<string, Accept> accepted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> firstIssued = new(StringComparer.Ordinal);
    private readonly List<string> serverErrors = [];
    private readonly HashSet<string> gaveUp = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource stopPages = new();
    private readonly Dictionary<string, string?> appSettings;
    private int instanceCount;
    private int status503;
    private int status0;
    private int requests;
    private (DateTimeOffset At, long Operations, int Invocations) idleFrom;
    private long operationsBeforeMeasuring;
    private Dictionary<string, long> callsBeforeMeasuring = [];
    private Dictionary<string, long> callsBeforeIdle = [];

    public Cluster(int seed, SimOptions options)
    {
        Seed = seed;
        this.options = options;
        Loop = new SimLoop(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        Trace = new Trace(Loop.Clock, options.KeepWholeTrace);
        // One stream per actor, so that turning faults on or off does not change what the people do.
        var seeds = new Random(seed);
        clients = new Random(seeds.Next());
        operatorRandom = new Random(seeds.Next());
        Storage = new StorageModel(Loop, seeds.Next(), new StorageModelSettings { Faults = options.Faults }, Trace);
        appSettings = new Dictionary<string, string?>
        {
            // Every page has its own address; the limits stay the app's defaults otherwise.
            ["Chat:NameLocale"] = "en",
        };
        foreach (var (key, value) in options.AppSettings)
        {
            appSettings[key] = value;
        }
    }

    public int Seed { get; }

    public SimLoop Loop { get; }

    public SimClock Clock => Loop.Clock;

    public Trace Trace { get; }

    public StorageModel Storage { get; }

    public SimResult Run()
    {
        var start = Clock.GetUtcNow();
        var chatEnds = start + options.Chat;
        var end = chatEnds + options.Settle;
        Loop.Post(Loop.Root, () =>
        {
            for (var i = 0; i < options.Instances; i++)
            {
                StartInstance();
            }
            var index = 0;
            for (var person = 0; person < options.Members; person++)
            {
                var name = "p" + person.ToString(CultureInfo.InvariantCulture);
                StartPage(new Page(this, name, name, index++, new Random(clients.Next())) { Deaf = options.DeafPage && person == 0 }, TimeSpan.FromSeconds(clients.NextDouble() * 3), chatEnds);
                if (clients.NextDouble() < options.SecondTabShare)
                {
                    var at = TimeSpan.FromSeconds(clients.NextDouble() * options.Chat.TotalSeconds * 0.8);
                    StartPage(new Page(this, name + "b", name, index++, new Random(clients.Next())), at, chatEnds);
                }
            }
            if (options.Operator)
            {
                _ = OperateAsync(chatEnds);
            }
        });
        Loop.PostAfter(Loop.Root, options.WarmUp, () =>
        {
            operationsBeforeMeasuring = Storage.Operations;
            callsBeforeMeasuring = new Dictionary<string, long>(Storage.OperationsByCall);
        });
        // The idle window: from 15 s after the last message until the end nobody writes.
        Loop.PostAfter(Loop.Root, options.Chat + TimeSpan.FromSeconds(15), () =>
        {
            idleFrom = (Clock.GetUtcNow(), Storage.Operations, instances.Sum(i => i.Invocations));
            callsBeforeIdle = new Dictionary<string, long>(Storage.OperationsByCall);
        });
        Loop.Run(end);
        stopPages.Cancel();
        return Check(start, chatEnds, end);
    }

    private void StartPage(Page page, TimeSpan after, DateTimeOffset chatEnds)
    {
        pages.Add(page);
        var random = new Random(clients.Next());
        Loop.PostAfter(Loop.Root, after, () =>
        {
            Trace.Add(page.Label, "opens the page");
            _ = page.RunAsync(stopPages.Token);
            _ = WriteAsync(page, random, chatEnds);
        });
    }

    private async Task WriteAsync(Page page, Random random, DateTimeOffset chatEnds)
    {
        if (options.RoomRate == 0)
        {
            return;
        }
        var meanThink = options.RoomRate is { } rate ? options.Members / rate : options.MeanThinkTime.TotalSeconds;
        while (true)
        {
            await Loop.Delay(TimeSpan.FromSeconds(-Math.Log(1 - random.NextDouble()) * meanThink));
            if (Clock.GetUtcNow() >= chatEnds)
            {
                return;
            }
            if (page.OnlineSince is not null)
            {
                page.Write();
            }
        }
    }

    private SimInstance StartInstance()
    {
        var name = "i" + (++instanceCount).ToString(CultureInfo.InvariantCulture);
        var instance = new SimInstance(Loop, Storage, Trace, name, appSettings);
        instances.Add(instance);
        instance.Start();
        Trace.Add(name, "starts");
        return instance;
    }

    /// <summary>
    /// Scale-out always; with faults on also graceful stops (the host's order: no new requests, invocations and
    /// ApplicationStopping cancelled, the process gone up to 10 s later), crashes, and storage outages of 2–6 s.
    /// At least one instance always takes requests.
    /// </summary>
    private async Task OperateAsync(DateTimeOffset chatEnds)
    {
        while (true)
        {
            await Loop.Delay(TimeSpan.FromSeconds(-Math.Log(1 - operatorRandom.NextDouble()) * options.MeanOperatorGap.TotalSeconds));
            if (Clock.GetUtcNow() >= chatEnds)
            {
                return;
            }
            var live = instances.Where(i => i.Accepting).ToList();
            var action = options.Faults ? operatorRandom.Next(4) : 0;
            switch (action)
            {
                case 0 when live.Count < options.Instances + 2:
                    StartInstance();
                    break;
                case 1 when live.Count > 1:
                    var stopping = live[operatorRandom.Next(live.Count)];
                    stopping.StopAccepting();
                    stopping.BeginStop();
                    Loop.PostAfter(Loop.Root, TimeSpan.FromSeconds(1 + operatorRandom.NextDouble() * 9), () =>
                    {
                        if (!stopping.Dead)
                        {
                            stopping.Crash("process exits after its stop");
                        }
                    });
                    ReplaceLater();
                    break;
                case 2 when live.Count > 1:
                    live[operatorRandom.Next(live.Count)].Crash("crashes");
                    ReplaceLater();
                    break;
                case 3:
                    var outage = TimeSpan.FromSeconds(2 + operatorRandom.NextDouble() * 4);
                    Storage.Outage.IsDown = true;
                    Trace.Add("op", $"storage outage for {outage.TotalSeconds:0.0} s");
                    Loop.PostAfter(Loop.Root, outage, () =>
                    {
                        Storage.Outage.IsDown = false;
                        Trace.Add("op", "storage back");
                    });
                    break;
            }
        }
    }

    private void ReplaceLater() =>
        Loop.PostAfter(Loop.Root, TimeSpan.FromSeconds(1 + operatorRandom.NextDouble() * 4), () => StartInstance());

    /// <summary>A page's request: to a random instance taking requests, after the network's delay each way.</summary>
    internal async Task<SimResponse> RequestAsync(Page page, string what, string method, string? body, string? token, string query,
        Func<IServiceProvider, HttpRequest, CancellationToken, Task<IActionResult>> function)
    {
        requests++;
        await Loop.Delay(NetworkDelay());
        var live = instances.Where(i => i.Accepting).ToList();
        SimResponse response;
        string where;
        if (live.Count == 0)
        {
            where = "-";
            response = new SimResponse(0, [], null, "no instance");
        }
        else
        {
            var instance = live[clients.Next(live.Count)];
            where = instance.Name;
            var request = SimRequests.Request(method, body, token, query, PageAddress(page));
            response = await instance.InvokeAsync(function, request, NetworkDelay());
        }
        switch (response.Status)
        {
            case 0:
                status0++;
                break;
            case 503:
                status503++;
                break;
            case >= 500:
                serverErrors.Add($"{response.Status} on {what} at {where} ({response.Error}) at {Clock.Elapsed.TotalSeconds:0.000} s");
                break;
        }
        Trace.Add(page.Label, $"{what} -> {where} {response.Status}{(response.Error is null ? "" : " " + response.Error)}");
        return response;
    }

    private static IPAddress PageAddress(Page page) => page.Address;

    private TimeSpan NetworkDelay() =>
        TimeSpan.FromTicks((long)((NetworkMilliseconds.Min + clients.NextDouble() * (NetworkMilliseconds.Max - NetworkMilliseconds.Min)) * TimeSpan.TicksPerMillisecond));

    internal void Sent(Page.Outgoing entry) => firstIssued.TryAdd(entry.Text, Clock.GetUtcNow());

    internal void Accepted(Page.Outgoing entry, PageMessage message, Page sender)
    {
        if (accepted.TryAdd(entry.Text, new Accept(message, firstIssued[entry.Text], Clock.GetUtcNow(), sender.Label)))
        {
            Trace.Add(sender.Label, $"accepted {entry.Text}");
        }
    }

    internal void GaveUp(Page.Outgoing entry) => gaveUp.Add(entry.Text);

    private SimResult Check(DateTimeOffset start, DateTimeOffset chatEnds, DateTimeOffset end)
    {
        var failures = new List<string>();
        var lost = new List<string>();
        var delays = new List<double>();
        var delivered = 0;
        var measured = 0;
        var measureFrom = start + options.WarmUp;
        foreach (var (text, accept) in accepted.OrderBy(a => a.Value.Message.Id, StringComparer.Ordinal))
        {
            foreach (var page in pages)
            {
                if (page.OnlineSince is not { } online || online > accept.FirstIssued)
                {
                    continue; // not online when it was sent: it may show it, it need not
                }
                if (page.Shown.TryGetValue(text, out var shown))
                {
                    delivered++;
                    if (accept.AcceptedAt >= measureFrom)
                    {
                        measured++;
                        delays.Add((shown.At - accept.Message.SentAt).TotalMilliseconds);
                    }
                }
                else
                {
                    lost.Add($"{text} (accepted at {(accept.AcceptedAt - start).TotalSeconds:0.000} s) never shown on {page.Label}");
                }
            }
        }
        if (lost.Count > 0)
        {
            failures.Add($"{lost.Count} accepted message(s) never shown on a page that was online: " + string.Join("; ", lost.Take(10)));
        }
        var stored = Storage.History.QueryAsync(Room, new HistoryQuery(null, null, 100_000), CancellationToken.None).GetAwaiter().GetResult()
            .Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var missing = accepted.Where(a => !stored.Contains(a.Value.Message.Id)).Select(a => a.Key).ToList();
        if (missing.Count > 0)
        {
            failures.Add($"{missing.Count} accepted message(s) missing from history: " + string.Join(", ", missing.Take(10)));
        }
        if (serverErrors.Count > 0)
        {
            failures.Add($"{serverErrors.Count} 5xx answer(s) other than 503: " + string.Join("; ", serverErrors.Take(5)));
        }
        if (!options.Faults && status503 > 0)
        {
            failures.Add($"{status503} 503 answer(s) with faults off");
        }
        if (Loop.StrayPosts > 0)
        {
            failures.Add($"{Loop.StrayPosts} piece(s) of work came from another thread (the run is not deterministic)");
        }
        if (Loop.PoolEscapes > 0)
        {
            failures.Add($"{Loop.PoolEscapes} piece(s) of work escaped to the thread pool (the run is not deterministic); the first from:{Environment.NewLine}{Loop.FirstEscape}");
        }
        if (Loop.Unhandled.Count > 0)
        {
            failures.Add($"{Loop.Unhandled.Count} unhandled exception(s) in posted work: {Loop.Unhandled[0]}");
        }
        // Rows left behind: hand-overs nobody claimed, signal entries and waiting sets past the stores' bounds.
        var staleHandOvers = 0;
        foreach (var instance in instances)
        {
            staleHandOvers += Storage.HandOvers.ReceiveAsync(Room, instance.Name, null, CancellationToken.None).GetAwaiter().GetResult()
                .Count(h => end - h.Messages[0].SentAt > TimeSpan.FromSeconds(30));
        }
        if (staleHandOvers > 0)
        {
            failures.Add($"{staleHandOvers} hand-over row(s) older than 30 s left unclaimed at the end");
        }
        var signalEntries = Storage.Signals.ReadAsync(Room, CancellationToken.None).GetAwaiter().GetResult().Count;
        var waitingSets = Storage.HandOvers.ReadWaitingAsync(Room, CancellationToken.None).GetAwaiter().GetResult().Count;
        if (signalEntries > Math.Max(RoomSignalRules.MaxWriters, instances.Count) || waitingSets > Math.Max(RoomSignalRules.MaxWriters, instances.Count))
        {
            failures.Add($"signal entries ({signalEntries}) or waiting sets ({waitingSets}) beyond the bound");
        }
        var pageMinutes = pages.Where(p => p.OnlineSince is not null).Sum(p => (end - p.OnlineSince!.Value).TotalMinutes);
        var idleMinutes = (end - idleFrom.At).TotalMinutes * pages.Count(p => p.OnlineSince is not null);
        delays.Sort();
        return new SimResult
        {
            Seed = Seed,
            Failures = failures,
            TraceTail = [.. Trace.Last],
            TraceHash = Trace.Hash(),
            WholeTrace = Trace.All,
            Accepted = accepted.Count,
            GaveUp = gaveUp.Count,
            Deliveries = delivered,
            Lost = lost.Count,
            Duplicates = pages.Sum(p => p.Duplicates),
            Fills = pages.Sum(p => p.Fills),
            ViaFill = pages.Sum(p => p.Shown.Values.Count(s => s.ViaFill)),
            Status503 = status503,
            Status0 = status0,
            Requests = requests,
            Invocations = instances.Sum(i => i.Invocations),
            StorageOperations = Storage.Operations,
            StorageFailures = Storage.Failures,
            AmbiguousWrites = Storage.AmbiguousWrites,
            Instances = instances.Count,
            Pages = pages.Count,
            PageMinutes = pageMinutes,
            MeasuredDeliveries = measured,
            ActiveOperationsByCall = Difference(callsBeforeIdle, callsBeforeMeasuring),
            IdleOperationsByCall = Difference(Storage.OperationsByCall, callsBeforeIdle),
            ActiveOperations = idleFrom.Operations - operationsBeforeMeasuring,
            IdleOperations = Storage.Operations - idleFrom.Operations,
            IdlePageMinutes = idleMinutes,
            LatencyMs = delays,
            Steps = Loop.Steps,
            PoolEscapes = Loop.PoolEscapes,
        };
    }

    private static Dictionary<string, long> Difference(Dictionary<string, long> later, Dictionary<string, long> earlier) =>
        later.ToDictionary(c => c.Key, c => c.Value - earlier.GetValueOrDefault(c.Key), StringComparer.Ordinal);

    private sealed record Accept(PageMessage Message, DateTimeOffset FirstIssued, DateTimeOffset AcceptedAt, string Sender);
}
