using System.Globalization;

namespace FunctionsChat.Bench;

public enum ReceiveMode
{
    LongPoll,
    Polling,
}

/// <summary>Which instance a member's requests go to: always the one it joined on, or any, per request.</summary>
public enum Spread
{
    Pinned,
    Random,
}

/// <summary>What a member does after a failed request: nothing more than retry (strict), or what the page does (page).</summary>
public enum ClientKind
{
    Strict,
    Page,
}

/// <summary>Command-line settings. Every loop the bench runs is bounded by these counts and by <see cref="MaxSeconds"/>.</summary>
public sealed record BenchOptions
{
    /// <summary>The instances, in order; pinned members alternate over them and the senders are on the first.</summary>
    public required IReadOnlyList<Uri> Urls { get; init; }
    public Spread Spread { get; init; } = Spread.Pinned;
    public ClientKind Client { get; init; } = ClientKind.Strict;
    public int Members { get; init; } = 50;
    public int Messages { get; init; } = 100;
    public double Rate { get; init; } = 5;
    public int Senders { get; init; }
    public ReceiveMode Mode { get; init; } = ReceiveMode.LongPoll;
    public int PollTimeoutSeconds { get; init; } = 30;
    public double PollingIntervalSeconds { get; init; } = 3;
    public int? IdleSeconds { get; init; }
    public int DrainSeconds { get; init; } = 15;
    public int WarmupSeconds { get; init; } = 3;
    public int MaxSeconds { get; init; } = 600;
    public string? Label { get; init; }
    public string OutputDirectory { get; init; } = Path.Combine("bench", "results");
    public bool Leave { get; init; } = true;
    public bool TraceDuplicates { get; init; }

    public Uri Url => Urls[0];

    /// <summary>The server's default send limit is 20 per 10 s per member; a sender is kept at 1.5 per second.</summary>
    public int EffectiveSenders => Senders > 0 ? Senders : Math.Max(1, (int)Math.Ceiling(Rate / 1.5));

    public const string Usage = """
        FunctionsChat.Bench --url http://127.0.0.1:7071 [options]    (or --urls A,B,...)
          --members N            members joined to a fresh room (default 50)
          --messages M           messages to send (default 100)
          --rate R               messages per second (default 5)
          --senders S            members that send, round-robin (default: enough for 1.5 sends/s each)
          --mode longpoll|polling  receive with /updates long polls, or history after= every 3 s (default longpoll)
          --poll-timeout SECONDS long-poll timeout (default 30)
          --idle SECONDS         no sends: measure an idle room for SECONDS
          --urls A,B,...         instances (instead of --url); members alternate over them when pinned
          --second-url URL       with --url: the same as --urls URL,SECOND (split members across two instances)
          --spread pinned|random pinned: each member stays on one instance, sends from the first (default);
                                 random: every request of every member goes to any instance of the list
          --client strict|page   strict: count what the long polls bring (default); page: as the page does, fill
                                 from history after= an overlapping cursor after every failed request, de-duplicate
                                 by id and retry failed sends with the same clientMessageId (longpoll only)
          --warmup SECONDS       wait after the members start receiving (default 3)
          --drain SECONDS        wait for late deliveries after the last send (default 15)
          --max-seconds SECONDS  hard stop for the whole run (default 600)
          --label NAME           name in the table and the JSON file
          --out DIR              where the JSON goes (default bench/results)
          --no-leave             keep the members afterwards (default: each leaves)
          --trace-duplicates     print "[dup] member M message N" on stderr for every duplicate
        FunctionsChat.Bench chart --out docs/performance-chart.svg FILE.json...
        FunctionsChat.Bench sends --url URL [--count 50]   one member, sequential sends: the request path's latency
        """;

    public static BenchOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var flags = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"Unexpected argument '{args[i]}'.");
            }
            if (args[i] is "--no-leave" or "--trace-duplicates")
            {
                flags.Add(args[i]);
                continue;
            }
            if (i + 1 >= args.Length)
            {
                throw new ArgumentException($"{args[i]} needs a value.");
            }
            values[args[i]] = args[++i];
        }
        string? Get(string name) => values.Remove(name, out var value) ? value : null;
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var options = new BenchOptions
        {
            Urls = ParseUrls(Get("--urls"), Get("--url"), Get("--second-url")),
            Spread = (Get("--spread") ?? "pinned") switch
            {
                "pinned" => Spread.Pinned,
                "random" => Spread.Random,
                var other => throw new ArgumentException($"--spread is pinned or random, not '{other}'."),
            },
            Client = (Get("--client") ?? "strict") switch
            {
                "strict" => ClientKind.Strict,
                "page" => ClientKind.Page,
                var other => throw new ArgumentException($"--client is strict or page, not '{other}'."),
            },
            Members = Int("--members", 50),
            Messages = Int("--messages", 100),
            Rate = Get("--rate") is { } rate ? double.Parse(rate, CultureInfo.InvariantCulture) : 5,
            Senders = Int("--senders", 0),
            Mode = (Get("--mode") ?? "longpoll") switch
            {
                "longpoll" => ReceiveMode.LongPoll,
                "polling" => ReceiveMode.Polling,
                var other => throw new ArgumentException($"--mode is longpoll or polling, not '{other}'."),
            },
            PollTimeoutSeconds = Int("--poll-timeout", 30),
            IdleSeconds = Get("--idle") is { } idle ? int.Parse(idle, CultureInfo.InvariantCulture) : null,
            WarmupSeconds = Int("--warmup", 3),
            DrainSeconds = Int("--drain", 15),
            MaxSeconds = Int("--max-seconds", 600),
            Label = Get("--label"),
            OutputDirectory = Get("--out") ?? Path.Combine("bench", "results"),
            Leave = !flags.Contains("--no-leave"),
            TraceDuplicates = flags.Contains("--trace-duplicates"),
        };
        if (values.Count > 0)
        {
            throw new ArgumentException($"Unknown option {values.Keys.First()}.");
        }
        if (options.Members is < 1 or > 2000 || options.Messages is < 0 or > 100_000 || options.Rate is <= 0 or > 1000 || options.MaxSeconds is < 10 or > 3600)
        {
            throw new ArgumentException("Out of range: members 1-2000, messages 0-100000, rate (0, 1000], max-seconds 10-3600.");
        }
        if (options.EffectiveSenders > options.Members)
        {
            throw new ArgumentException($"{options.EffectiveSenders} senders need at least as many members.");
        }
        if (options.Spread == Spread.Pinned && options.EffectiveSenders > MembersOnFirst(options))
        {
            throw new ArgumentException($"{options.EffectiveSenders} senders need at least as many members on the first instance ({MembersOnFirst(options)} when pinned to {options.Urls.Count}).");
        }
        if (options.Client == ClientKind.Page && options.Mode != ReceiveMode.LongPoll)
        {
            throw new ArgumentException("--client page is the page's long-poll loop; --mode polling already reads history and de-duplicates by id.");
        }
        return options;
    }

    private static int MembersOnFirst(BenchOptions options) => (options.Members + options.Urls.Count - 1) / options.Urls.Count;

    private static IReadOnlyList<Uri> ParseUrls(string? list, string? url, string? second)
    {
        if (list is not null && (url is not null || second is not null))
        {
            throw new ArgumentException("--urls replaces --url and --second-url; give one or the other.");
        }
        if (list is null && url is null)
        {
            throw new ArgumentException("--url or --urls is required.");
        }
        if (url is null && second is not null)
        {
            throw new ArgumentException("--second-url needs --url.");
        }
        string[] texts = list is not null ? list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            : second is null ? [url!]
            : [url!, second];
        var urls = texts.Select(ParseUrl).ToList();
        if (urls.Count is < 1 or > 20 || urls.Distinct().Count() != urls.Count)
        {
            throw new ArgumentException("Give 1 to 20 different instance URLs.");
        }
        return urls;
    }

    private static Uri ParseUrl(string text) =>
        Uri.TryCreate(text, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new ArgumentException($"'{text}' is not an http(s) URL.");
}
