using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FunctionsChat.Delivery;

/// <summary>
/// What delivery does when the instance stops gracefully (Flex scale-in, a deploy, a host restart). When stopping
/// begins, every waiting poll answers at once with what it holds and the room's newest message, so its page polls
/// again on another instance and checks what it missed, rather than losing the connection. Then, while the host lets
/// hosted services stop, the instance withdraws its waiting sets (no round hands over to it any more), takes back the
/// hand-overs it stored that may not be dealt with yet, and puts on the queues those stored for it. A crash runs none
/// of this: then the senders' take-backs and the rooms' sweeps deliver what was handed over, and the pages whose
/// connections broke read history when they reconnect.
/// </summary>
public sealed class DeliveryDrain(WaitingPolls polls, RoomWatcher watcher, HandOverSender sender, HandOverReceiver receiver, DeliveryTimings timings, TimeProvider clock, IHostApplicationLifetime lifetime, ILogger<DeliveryDrain> logger) : IHostedService
{

    private CancellationTokenRegistration answering;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        answering = lifetime.ApplicationStopping.Register(polls.AnswerAll);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        polls.AnswerAll();
        using var bounded = Waits.Within(timings.DrainTakesAtMost, clock, cancellationToken);
        try
        {
            var rooms = await watcher.WithdrawAllAsync(bounded.Token);
            await DrainHandOversAsync(rooms, bounded.Token);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Delivery did not finish draining within {Seconds} s; senders take back what is left", timings.DrainTakesAtMost.TotalSeconds);
        }
        finally
        {
            await answering.DisposeAsync();
        }
    }

    /// <summary>
    /// Takes back every hand-over this instance stored that may not be dealt with yet, and puts on the queues those
    /// stored for it in <paramref name="rooms"/>, since its watchers no longer look.
    /// </summary>
    private async Task DrainHandOversAsync(IReadOnlyCollection<string> rooms, CancellationToken cancellationToken)
    {
        var work = sender.TakeBackAllNow();
        work.AddRange(receiver.HandBackAll(rooms, cancellationToken));
        await Task.WhenAll(work);
    }
}
