using System.Runtime.CompilerServices;
using FunctionsChat.Storage;
using FunctionsChat.Tests.Fakes;

namespace FunctionsChat.Simulation.Sim;

/// <summary>The kinds of storage call the model gives a latency and a cost.</summary>
public enum StorageOp
{
    TablePointRead,
    TableWrite,
    TableQuery,
    TableBatch,
    QueuePut,
    QueueReceive,
    QueueAdmin,
}

/// <summary>
/// What a call to Azure Storage costs in time and what can go wrong with it, as seen by the app's storage adapters
/// (after the SDK's own retries: <c>ChatServiceCollectionExtensions.Configure</c> sets 2 retries, 200 ms exponential,
/// 10 s network timeout). Every figure is here, with where it comes from.
/// </summary>
public sealed class StorageModelSettings
{
    /// <summary>
    /// Latency of one call: log-normal with this median and spread, plus a rare slow tail.
    /// ASSUMPTION: Azure publishes no latency figures for Standard storage beyond "typically low tens of ms" for
    /// in-region calls; issue 18 uses "~5–25 ms per call". Medians here are 5–12 ms with sigma 0.45 (so p99 is about
    /// 3x the median), and 0.5% of calls take 50–250 ms (a server-side hiccup or a retry by the SDK).
    /// </summary>
    public static readonly IReadOnlyDictionary<StorageOp, double> MedianMilliseconds = new Dictionary<StorageOp, double>
    {
        [StorageOp.TablePointRead] = 6,
        [StorageOp.TableWrite] = 8,
        [StorageOp.TableQuery] = 10,
        [StorageOp.TableBatch] = 12,
        [StorageOp.QueuePut] = 7,
        [StorageOp.QueueReceive] = 8,
        [StorageOp.QueueAdmin] = 15,
    };

    public const double Sigma = 0.45;
    public const double SlowTailProbability = 0.005;

    /// <summary>
    /// Throughput targets, from Microsoft's "Scalability and performance targets" pages for Standard storage accounts
    /// (Queue: "up to 2,000 messages per second" per queue; Table: "up to 2,000 entities per second" per partition;
    /// account: 20,000 requests per second). Beyond them storage answers 503 ServerBusy; the SDK retries twice
    /// (200 ms, 400 ms + jitter) and the adapter then throws <see cref="StorageUnavailableException"/>.
    /// </summary>
    public const int QueueMessagesPerSecond = 2_000;
    public const int PartitionEntitiesPerSecond = 2_000;
    public const int AccountRequestsPerSecond = 20_000;

    /// <summary>The SDK's retry delays (ChatServiceCollectionExtensions: 200 ms exponential, 2 retries).</summary>
    public static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(200), TimeSpan.FromMilliseconds(400)];

    /// <summary>The SDK's network timeout per attempt (ChatServiceCollectionExtensions).</summary>
    public static readonly TimeSpan NetworkTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Faults on: the rates below apply. Off: only latency and throughput limits.</summary>
    public bool Faults { get; init; }

    /// <summary>
    /// ASSUMPTION (no published rate): a call that fails even after the SDK's retries, as the adapter sees it
    /// (StorageUnavailableException). Far above what Azure shows (its SLA is 99.9%+ of requests succeeding), chosen
    /// so that a minute of simulated chat meets a few of them.
    /// </summary>
    public double FailureProbability { get; init; } = 0.002;

    /// <summary>ASSUMPTION: a call whose attempt hangs until the network timeout and then fails.</summary>
    public double TimeoutProbability { get; init; } = 0.0005;

    /// <summary>
    /// ASSUMPTION: a write that commits but whose answer is lost (a timeout or connection reset after the server
    /// applied it): the caller sees StorageUnavailableException although the write is there.
    /// </summary>
    public double AmbiguousWriteProbability { get; init; } = 0.002;

    /// <summary>ASSUMPTION: a transient 503/500 that the SDK's retry absorbs: the call succeeds, 200–600 ms late.</summary>
    public double RetriedProbability { get; init; } = 0.005;
}

/// <summary>
/// The storage the app's instances share: the in-memory fakes behind decorators that charge each call its latency
/// on the simulated clock, count it, enforce the throughput targets and inject the faults of
/// <see cref="StorageModelSettings"/>. The outage switch is the fakes' own (<see cref="FakeOutage"/>).
/// </summary>
public sealed class StorageModel
{
    private readonly SimLoop loop;
    private readonly Random random;
    private readonly Trace trace;
    private readonly Dictionary<string, Bucket> buckets = new(StringComparer.Ordinal);
    private readonly Bucket account;

    public StorageModel(SimLoop loop, int seed, StorageModelSettings settings, Trace trace)
    {
        this.loop = loop;
        this.trace = trace;
        random = new Random(seed);
        Settings = settings;
        account = new Bucket(StorageModelSettings.AccountRequestsPerSecond);
        History = new InMemoryMessageHistory(Outage);
        Members = new InMemoryMemberStore(Outage);
        Inboxes = new InMemoryInboxes(loop.Clock, Outage);
        Signals = new InMemoryRoomSignals(Outage);
        HandOvers = new InMemoryHandOvers(Outage);
    }

    public StorageModelSettings Settings { get; }

    public FakeOutage Outage { get; } = new();

    public InMemoryMessageHistory History { get; }

    public InMemoryMemberStore Members { get; }

    public InMemoryInboxes Inboxes { get; }

    public InMemoryRoomSignals Signals { get; }

    public InMemoryHandOvers HandOvers { get; }

    /// <summary>Storage operations (billable requests) so far, each SDK attempt counted.</summary>
    public long Operations { get; private set; }

    public Dictionary<StorageOp, long> OperationsByKind { get; } = [];

    /// <summary>Operations by port call ("queues.Put", "members.Touch", ...), each SDK attempt counted.</summary>
    public Dictionary<string, long> OperationsByCall { get; } = new(StringComparer.Ordinal);

    public int Failures { get; private set; }

    public int AmbiguousWrites { get; private set; }

    public int Throttled { get; private set; }

    /// <summary>The order members joined in, so lists come back in an order that does not depend on random user ids.</summary>
    internal Dictionary<string, int> JoinOrder { get; } = new(StringComparer.Ordinal);

    /// <summary>The ports for one instance: every call is charged to <paramref name="instance"/> in the trace.</summary>
    public (IMessageHistory, IMemberStore, IInboxes, IRoomSignals, IHandOvers) PortsFor(string instance) =>
        (new ModelHistory(this, instance), new ModelMembers(this, instance), new ModelInboxes(this, instance),
         new ModelSignals(this, instance), new ModelHandOvers(this, instance));

    /// <summary>
    /// One call: half its latency on the way there, the operation itself (the commit point), half on the way back.
    /// <paramref name="entities"/> counts toward the partition's or queue's throughput target; <paramref name="extraOperations"/>
    /// counts requests the real adapter makes beyond the first (a queue receive deletes each message it took).
    /// </summary>
    internal async Task<T> CallAsync<T>(string port, string instance, StorageOp op, string resource, bool write, int entities, Func<T> operation, CancellationToken cancellationToken, Func<T, int>? extraOperations = null, string? what = null, [CallerMemberName] string call = "")
    {
        var purpose = port + "." + (call.EndsWith("Async", StringComparison.Ordinal) ? call[..^5] : call);
        var latency = DrawLatency(op);
        var attempt = 0;
        while (true)
        {
            Count(op, purpose);
            cancellationToken.ThrowIfCancellationRequested();
            var busy = !Take(resource, entities, op);
            var fail = Settings.Faults && random.NextDouble() < Settings.FailureProbability;
            var timeout = Settings.Faults && random.NextDouble() < Settings.TimeoutProbability;
            var ambiguous = write && Settings.Faults && random.NextDouble() < Settings.AmbiguousWriteProbability;
            var retried = Settings.Faults && random.NextDouble() < Settings.RetriedProbability;
            if (busy || Outage.IsDown)
            {
                // 503 ServerBusy or no answer: the SDK tries again after its delay, up to twice.
                await loop.Delay(latency, cancellationToken);
                if (attempt < StorageModelSettings.RetryDelays.Length)
                {
                    await loop.Delay(Jitter(StorageModelSettings.RetryDelays[attempt++]), cancellationToken);
                    continue;
                }
                Failures++;
                if (busy)
                {
                    Throttled++;
                }
                trace.Add(instance, $"storage {op} {what ?? Describe(resource)}: {(busy ? "503 ServerBusy" : "outage")} after retries");
                throw new StorageUnavailableException(busy ? "Simulated 503 ServerBusy (throughput target exceeded)." : "Simulated storage outage.");
            }
            if (timeout && !ambiguous)
            {
                await loop.Delay(StorageModelSettings.NetworkTimeout, cancellationToken);
                Failures++;
                trace.Add(instance, $"storage {op} {what ?? Describe(resource)}: timed out");
                throw new StorageUnavailableException("Simulated network timeout.");
            }
            if (fail && !ambiguous)
            {
                await loop.Delay(latency + Jitter(StorageModelSettings.RetryDelays[0] + StorageModelSettings.RetryDelays[1]), cancellationToken);
                Failures++;
                trace.Add(instance, $"storage {op} {what ?? Describe(resource)}: failed");
                throw new StorageUnavailableException("Simulated storage failure.");
            }
            if (retried)
            {
                Count(op, purpose);
                latency += Jitter(StorageModelSettings.RetryDelays[0]);
            }
            await loop.Delay(latency / 2, cancellationToken);
            var result = operation();
            for (var i = extraOperations?.Invoke(result) ?? 0; i > 0; i--)
            {
                Count(op, purpose);
            }
            if (ambiguous)
            {
                AmbiguousWrites++;
                await loop.Delay(timeout ? StorageModelSettings.NetworkTimeout : latency / 2, CancellationToken.None);
                trace.Add(instance, $"storage {op} {what ?? Describe(resource)}: committed, answer lost");
                throw new StorageUnavailableException("Simulated ambiguous write: committed, but the answer was lost.");
            }
            await loop.Delay(latency - latency / 2, cancellationToken);
            if (write && (op != StorageOp.QueueReceive || result is IReadOnlyList<string> { Count: > 0 }))
            {
                trace.Add(instance, $"storage {op} {what ?? Describe(resource)}{(result is IReadOnlyCollection<string> taken ? $" ({taken.Count})" : "")}");
            }
            return result;
        }
    }

    internal Task CallAsync(string port, string instance, StorageOp op, string resource, bool write, int entities, Action operation, CancellationToken cancellationToken, string? what = null, [CallerMemberName] string call = "") =>
        CallAsync(port, instance, op, resource, write, entities, () =>
        {
            operation();
            return true;
        }, cancellationToken, what: what, call: call);

    internal TimeSpan DrawLatency(StorageOp op)
    {
        var median = StorageModelSettings.MedianMilliseconds[op];
        var ms = median * Math.Exp(StorageModelSettings.Sigma * Gaussian());
        if (random.NextDouble() < StorageModelSettings.SlowTailProbability)
        {
            ms += 50 + random.NextDouble() * 200;
        }
        return TimeSpan.FromTicks((long)(ms * TimeSpan.TicksPerMillisecond));
    }

    /// <summary>A resource or call as the trace shows it: queue names carry random user ids, shown as labels.</summary>
    internal string Describe(string what) =>
        what.StartsWith("q:inbox-", StringComparison.Ordinal) ? "q:inbox-" + trace.Label("u", what["q:inbox-".Length..]) : what;

    private TimeSpan Jitter(TimeSpan delay) => delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * random.NextDouble()));

    private double Gaussian()
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    private void Count(StorageOp op, string purpose)
    {
        Operations++;
        OperationsByKind[op] = OperationsByKind.GetValueOrDefault(op) + 1;
        OperationsByCall[purpose] = OperationsByCall.GetValueOrDefault(purpose) + 1;
    }

    /// <summary>Takes from the account's and the resource's token buckets; false when either is empty (503).</summary>
    private bool Take(string resource, int entities, StorageOp op)
    {
        var now = loop.Clock.Ticks;
        if (!account.TryTake(now, 1))
        {
            return false;
        }
        if (!buckets.TryGetValue(resource, out var bucket))
        {
            var rate = op is StorageOp.QueuePut or StorageOp.QueueReceive or StorageOp.QueueAdmin
                ? StorageModelSettings.QueueMessagesPerSecond
                : StorageModelSettings.PartitionEntitiesPerSecond;
            buckets[resource] = bucket = new Bucket(rate);
        }
        return bucket.TryTake(now, Math.Max(1, entities));
    }

    /// <summary>A token bucket holding one second's worth: bursts up to the per-second target are allowed.</summary>
    private sealed class Bucket(int perSecond)
    {
        private double tokens = perSecond;
        private long at;

        public bool TryTake(long now, int count)
        {
            tokens = Math.Min(perSecond, tokens + (now - at) * (double)perSecond / TimeSpan.TicksPerSecond);
            at = now;
            if (tokens < count)
            {
                return false;
            }
            tokens -= count;
            return true;
        }
    }
}
