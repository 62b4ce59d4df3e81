using System.Globalization;

namespace FunctionsChat.Bench;

/// <summary>
/// How a member gets its messages: long polls on its inbox (strict: what they bring is what counts; or the page's
/// loop, <see cref="PageClient"/>), or the tutorial's 3 s polling of history.
/// </summary>
public static class Receivers
{
    private static readonly TimeSpan ErrorPause = TimeSpan.FromSeconds(1);

    public static Task RunAsync(ChatHttp http, JoinedMember member, BenchOptions options, Tally tally, PageStats? page, CancellationToken stop) =>
        (options.Mode, page) switch
        {
            (ReceiveMode.LongPoll, null) => LongPollAsync(http, member, options.PollTimeoutSeconds, tally, stop),
            (ReceiveMode.LongPoll, _) => PageClient.ReceiveAsync(http, member, options.PollTimeoutSeconds, tally, page, stop),
            _ => PollHistoryAsync(http, member, TimeSpan.FromSeconds(options.PollingIntervalSeconds), tally, stop),
        };

    private static async Task LongPollAsync(ChatHttp http, JoinedMember member, int timeoutSeconds, Tally tally, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var messages = await http.PollAsync(member, timeoutSeconds, stop);
                tally.Arrived(member.Index, messages.Select(m => m.Text));
            }
            catch (HttpRequestException)
            {
                await PauseAsync(ErrorPause, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Every interval: history after a cursor 5 s behind the newest id seen (ids of two instances can arrive out of
    /// order), de-duplicated by id, as a careful polling client would.
    /// </summary>
    private static async Task PollHistoryAsync(ChatHttp http, JoinedMember member, TimeSpan interval, Tally tally, CancellationToken stop)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? newest = null;
        await PauseAsync(interval * Random.Shared.NextDouble(), stop);
        while (!stop.IsCancellationRequested)
        {
            try
            {
                var messages = await http.HistoryAsync(member, newest is null ? null : Overlap(newest), 500, stop);
                var fresh = messages.Where(m => seen.Add(m.Id)).ToList();
                tally.Arrived(member.Index, fresh.Select(m => m.Text));
                if (messages.Count > 0 && (newest is null || string.CompareOrdinal(messages[^1].Id, newest) > 0))
                {
                    newest = messages[^1].Id;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            await PauseAsync(interval, stop);
        }
    }

    /// <summary>An id 5 s older than <paramref name="id"/> ("{ticks:D19}-{hex8}").</summary>
    private static string Overlap(string id) =>
        long.TryParse(id.AsSpan(0, 19), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? string.Create(CultureInfo.InvariantCulture, $"{ticks - TimeSpan.TicksPerSecond * 5:D19}-00000000")
            : id;

    internal static async Task PauseAsync(TimeSpan pause, CancellationToken stop)
    {
        try
        {
            await Task.Delay(pause, stop);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
