using FunctionsChat.Messages;
using FunctionsChat.Storage;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Updates;

/// <summary>
/// The long poll's loop: dequeue attempts with a growing pause between them, cut short by a wake-up signal from a
/// send on this instance, until something arrives, the time is up, or the caller goes away.
/// </summary>
public sealed class InboxWaiter(IInboxes inboxes, InboxSignals signals, TimeProvider clock, IOptions<ChatOptions> options)
{
    public const int MaxMessagesPerReceive = 32;
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(100);
    private readonly TimeSpan pauseCap = TimeSpan.FromMilliseconds(options.Value.PollBackoffCapMilliseconds);

    /// <summary>Messages oldest first (empty when the time ran out), or null when the inbox no longer exists.</summary>
    public async Task<IReadOnlyList<ChatMessage>?> WaitAsync(string queueName, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = clock.GetUtcNow() + timeout;
        var pause = FirstPause;
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
            await Task.WhenAny(wake, Task.Delay(wait, clock, cancellationToken));
            cancellationToken.ThrowIfCancellationRequested();
            pause = pause * 2 < pauseCap ? pause * 2 : pauseCap;
        }
    }
}
