using FunctionsChat.Messages;
using FunctionsChat.Storage;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Updates;

/// <summary>
/// The long poll's loop: dequeue attempts with a growing pause between them, cut short by a wake-up — a send on this
/// instance that filled this queue, or the <see cref="RoomWatcher"/> seeing another instance's message — until
/// something arrives, the time is up, or the caller goes away.
/// </summary>
public sealed class InboxWaiter(IInboxes inboxes, InboxSignals signals, RoomWatcher watcher, TimeProvider clock, IOptions<ChatOptions> options)
{
    public const int MaxMessagesPerReceive = 32;
    private readonly TimeSpan firstPause = TimeSpan.FromMilliseconds(options.Value.PollFirstPauseMilliseconds);
    private readonly TimeSpan wakePause = TimeSpan.FromMilliseconds(options.Value.PollWakePauseMilliseconds);
    private readonly TimeSpan pauseCap = TimeSpan.FromMilliseconds(options.Value.PollBackoffCapMilliseconds);

    /// <summary>Messages oldest first (empty when the time ran out), or null when the inbox no longer exists.</summary>
    public async Task<IReadOnlyList<ChatMessage>?> WaitAsync(string room, string queueName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var watching = watcher.Watch(room, queueName);
        var deadline = clock.GetUtcNow() + timeout;
        var pause = firstPause;
        while (true)
        {
            var wake = signals.NextSignal(queueName);
            var payloads = await inboxes.ReceiveAsync(queueName, MaxMessagesPerReceive, cancellationToken);
            if (payloads is null)
            {
                return null;
            }
            if (payloads.Count > 0)
            {
                return payloads.SelectMany(InboxPayload.Deserialize)
                    .DistinctBy(m => m.Id)
                    .OrderBy(m => m.Id, StringComparer.Ordinal)
                    .ToList();
            }
            var left = deadline - clock.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return [];
            }
            var wait = pause < left ? pause : left;
            var woken = await Task.WhenAny(wake, Task.Delay(wait, clock, cancellationToken)) == wake;
            cancellationToken.ThrowIfCancellationRequested();
            // Woken but found nothing yet (the fan-out may still be on its way): look again soon, then back off again.
            pause = woken ? wakePause : Min(pause * 2, pauseCap);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
