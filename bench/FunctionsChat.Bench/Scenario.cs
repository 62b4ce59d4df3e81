using System.Diagnostics;

namespace FunctionsChat.Bench;

/// <summary>
/// One run: join the members to a fresh room, start each member's receive loop, then either send the messages on a
/// schedule or stay idle, and measure. Bounded by the counts given and by <see cref="BenchOptions.MaxSeconds"/>.
/// </summary>
public sealed class Scenario(BenchOptions options)
{
    private const int JoinParallelism = 16;

    public async Task<RunResult> RunAsync()
    {
        using var hardStop = new CancellationTokenSource(TimeSpan.FromSeconds(options.MaxSeconds));
        var spread = new Instances(options.Urls, options.Spread);
        using var http = new ChatHttp { Route = spread.For };
        var instances = options.Urls;
        var page = options.Client == ClientKind.Page ? new PageStats() : null;
        var room = "bench-" + Guid.NewGuid().ToString("N")[..12];
        var tag = "b" + Guid.NewGuid().ToString("N")[..8];
        var messages = options.IdleSeconds is null ? options.Messages : 0;
        var tally = new Tally(tag, options.Members, messages, options.TraceDuplicates);
        var load = LoadAverage();

        Progress($"joining {options.Members} members to {room} on {string.Join(" + ", instances.Select(i => i.Authority))}{(instances.Count > 1 ? $", {options.Spread.ToString().ToLowerInvariant()}" : "")}");
        var members = new JoinedMember[options.Members];
        await Parallel.ForAsync(0, options.Members, new ParallelOptions { MaxDegreeOfParallelism = JoinParallelism, CancellationToken = hardStop.Token },
            async (i, token) => members[i] = await http.JoinAsync(i, spread.ForJoin(i), room, token));

        using var stopReceiving = CancellationTokenSource.CreateLinkedTokenSource(hardStop.Token);
        var receivers = members.Select(m => Task.Run(() => Receivers.RunAsync(http, m, options, tally, page, stopReceiving.Token))).ToList();
        await Task.Delay(TimeSpan.FromSeconds(options.WarmupSeconds), hardStop.Token);

        await DevMetrics.ResetPeakAsync(http, instances, hardStop.Token);
        var before = await DevMetrics.ReadAllAsync(http, instances, hardStop.Token);
        var requestsBefore = http.Requests;
        var clock = Stopwatch.StartNew();
        var sent = 0;
        if (options.IdleSeconds is { } idle)
        {
            await WatchAsync(TimeSpan.FromSeconds(idle), tally, http, page, clock, () => 0, hardStop.Token);
        }
        else
        {
            // Pinned: the senders are on the first instance, so the others' latency is the cross-instance path.
            var senders = (options.Spread == Spread.Pinned ? members.Where(m => m.Instance == options.Url) : members).Take(options.EffectiveSenders).ToList();
            var sends = SendAllAsync(http, senders, tally, page, () => Interlocked.Increment(ref sent), hardStop.Token);
            await WatchUntilAsync(() => sends.IsCompleted, tally, http, page, clock, () => sent, hardStop.Token);
            await sends;
            var expected = (long)tally.Accepted * options.Members;
            var drainUntil = clock.Elapsed + TimeSpan.FromSeconds(options.DrainSeconds);
            // A page-like member can show a message whose send failed (stored, then the answer lost): count pairs exactly.
            Func<bool> allThere = page is null ? () => tally.Delivered >= expected : () => tally.Missing() == 0;
            await WatchUntilAsync(() => allThere() || clock.Elapsed > drainUntil, tally, http, page, clock, () => sent, hardStop.Token);
        }
        var elapsed = clock.Elapsed;
        var requests = http.Requests - requestsBefore;
        var after = await DevMetrics.ReadAllAsync(http, instances, hardStop.Token);
        await stopReceiving.CancelAsync();
        await Task.WhenAll(receivers);

        if (options.Leave)
        {
            Progress("leaving");
            await Parallel.ForEachAsync(members, new ParallelOptions { MaxDegreeOfParallelism = JoinParallelism, CancellationToken = hardStop.Token }, async (m, token) =>
            {
                try
                {
                    await http.LeaveAsync(m, token);
                }
                catch (HttpRequestException)
                {
                }
            });
        }
        return RunResult.From(options, room, load, tally, members, elapsed, requests, http.Errors, before, after, page);
    }

    /// <summary>
    /// Message i starts at i / rate seconds, from sender i mod S; sends overlap when the server is slow. Page-like
    /// senders retry a failed send as the page's outbox does; strict ones send once.
    /// </summary>
    private async Task SendAllAsync(ChatHttp http, IReadOnlyList<JoinedMember> senders, Tally tally, PageStats? page, Action countSent, CancellationToken stop)
    {
        var start = Stopwatch.StartNew();
        var inFlight = new List<Task>(options.Messages);
        for (var i = 0; i < options.Messages; i++)
        {
            var due = TimeSpan.FromSeconds(i / options.Rate) - start.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, stop);
            }
            var number = i;
            inFlight.Add(Task.Run(async () =>
            {
                tally.SendStarting(number);
                var sender = senders[number % senders.Count];
                tally.SendDone(number, page is null
                    ? await http.SendAsync(sender, tally.TextOf(number), stop)
                    : await PageClient.SendAsync(http, sender, tally.TextOf(number), page, stop));
                countSent();
            }, stop));
        }
        await Task.WhenAll(inFlight);
    }

    private static Task WatchAsync(TimeSpan duration, Tally tally, ChatHttp http, PageStats? page, Stopwatch clock, Func<int> sent, CancellationToken stop)
    {
        var end = clock.Elapsed + duration;
        return WatchUntilAsync(() => clock.Elapsed >= end, tally, http, page, clock, sent, stop);
    }

    /// <summary>A progress line every 2 s until <paramref name="done"/>.</summary>
    private static async Task WatchUntilAsync(Func<bool> done, Tally tally, ChatHttp http, PageStats? page, Stopwatch clock, Func<int> sent, CancellationToken stop)
    {
        var next = clock.Elapsed;
        while (!done())
        {
            if (clock.Elapsed >= next)
            {
                Progress($"t={clock.Elapsed.TotalSeconds,5:F1}s sent {sent()} delivered {tally.Delivered} duplicates {tally.Duplicates} errors {http.Errors.Values.Sum()} requests {http.Requests}{(page is null ? "" : $" gap fills {page.GapFills}")}");
                next += TimeSpan.FromSeconds(2);
            }
            await Task.Delay(50, stop);
        }
    }

    public static void Progress(string line) => Console.Error.WriteLine($"[bench] {line}");

    private static double? LoadAverage()
    {
        try
        {
            return double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}
