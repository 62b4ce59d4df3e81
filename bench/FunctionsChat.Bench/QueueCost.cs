using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;

namespace FunctionsChat.Bench;

/// <summary>
/// What one member's queue delivery costs the storage emulator by itself: rounds of one put to each of N queues, one
/// receive of each, the deletes, then one empty receive of each, timed per kind of call, with the app's fan-out
/// parallelism. Needs AzureWebJobsStorage (bench/run.sh sets it for its fresh Azurite).
/// </summary>
public static class QueueCost
{
    public static async Task<int> RunAsync(string[] args)
    {
        string? Get(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
        var queues = int.Parse(Get("--queues") ?? "100", CultureInfo.InvariantCulture);
        var parallel = int.Parse(Get("--parallel") ?? "32", CultureInfo.InvariantCulture);
        var rounds = int.Parse(Get("--rounds") ?? "5", CultureInfo.InvariantCulture);
        var connection = Environment.GetEnvironmentVariable("AzureWebJobsStorage")
            ?? throw new ArgumentException("queue-cost needs AzureWebJobsStorage (run it through bench/run.sh with BENCH_COMMAND=queue-cost).");
        var service = new QueueServiceClient(connection);
        var clients = Enumerable.Range(0, queues).Select(i => service.GetQueueClient($"cost-{Guid.NewGuid():N}")).ToList();
        var options = new ParallelOptions { MaxDegreeOfParallelism = parallel };
        await Parallel.ForEachAsync(clients, options, async (q, t) => await q.CreateIfNotExistsAsync(cancellationToken: t));
        Console.WriteLine($"{queues} queues, {parallel} calls at once; milliseconds per call (wall time of the batch / calls):");
        for (var round = 1; round <= rounds; round++)
        {
            var clock = Stopwatch.StartNew();
            await Parallel.ForEachAsync(clients, options, async (q, t) => await q.SendMessageAsync("{\"id\":\"x\",\"text\":\"a chat message\"}", null, TimeSpan.FromMinutes(5), t));
            var put = clock.Elapsed.TotalMilliseconds / queues;
            var taken = new ConcurrentBag<(QueueClient Queue, QueueMessage Message)>();
            clock.Restart();
            await Parallel.ForEachAsync(clients, options, async (q, t) =>
            {
                foreach (var message in (await q.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), t)).Value)
                {
                    taken.Add((q, message));
                }
            });
            var receive = clock.Elapsed.TotalMilliseconds / queues;
            clock.Restart();
            await Parallel.ForEachAsync(taken, options, async (x, t) => await x.Queue.DeleteMessageAsync(x.Message.MessageId, x.Message.PopReceipt, t));
            var delete = clock.Elapsed.TotalMilliseconds / Math.Max(1, taken.Count);
            clock.Restart();
            await Parallel.ForEachAsync(clients, options, async (q, t) => await q.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), t));
            var empty = clock.Elapsed.TotalMilliseconds / queues;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"round {round}: put {put:F2}, receive {receive:F2}, delete {delete:F2}, empty receive {empty:F2}; one delivery (put + receive + delete) {put + receive + delete:F2}"));
        }
        await Parallel.ForEachAsync(clients, options, async (q, t) => await q.DeleteIfExistsAsync(t));
        return 0;
    }
}
