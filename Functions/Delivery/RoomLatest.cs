using System.Collections.Concurrent;
using FunctionsChat.Storage;

namespace FunctionsChat.Delivery;

/// <summary>
/// The newest message each room has fanned out completely, as this instance knows it: its own rounds, and every
/// writer's <see cref="WriterSignal.LatestId"/> in the room's signal. Every poll answer reports it, so a page that
/// does not hold it knows the fast path lost something and reads history (the completeness check, docs/api.md).
/// </summary>
/// <remarks>
/// What an answer reports is never older than <see cref="DeliveryTimings.LatestFreshFor"/>: the room watcher reads the signal that often
/// while polls wait here, and when it has not (no watcher, reads failing), the answer reads the signal itself. So a
/// message whose send was answered before a poll's answer shows up in it, give or take that time.
/// </remarks>
public sealed class RoomLatest(IRoomSignals signals, DeliveryTimings timings, TimeProvider clock)
{

    /// <summary>Bounds the memory: past this many rooms, those not read for a minute are forgotten.</summary>
    internal const int MaxRooms = 10_000;

    private readonly ConcurrentDictionary<string, Knowledge> rooms = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Task> reads = new(StringComparer.Ordinal);

    /// <summary>This instance completed the fan-out of <paramref name="room"/>'s messages up to <paramref name="id"/>.</summary>
    public void FannedOut(string room, string id) => Update(room, id, readStartedAt: null);

    /// <summary>The room's signal as read by a read that began at <paramref name="readStartedAt"/>.</summary>
    public void Read(string room, IReadOnlyDictionary<string, WriterSignal> signal, DateTimeOffset readStartedAt) =>
        Update(room, Newest(signal.Values.Select(s => s.LatestId)), readStartedAt);

    /// <summary>
    /// The room's newest fanned-out message (null: none known), from a read of its signal at most <see cref="DeliveryTimings.LatestFreshFor"/>
    /// old; answers that need a read at the same moment share one.
    /// </summary>
    public async Task<string?> GetAsync(string room, CancellationToken cancellationToken)
    {
        if (rooms.TryGetValue(room, out var known) && clock.GetUtcNow() - known.ReadAt <= timings.LatestFreshFor)
        {
            return known.LatestId;
        }
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reading = reads.GetOrAdd(room, mine.Task);
        if (reading == mine.Task)
        {
            _ = ReadAsync(room, mine);
        }
        await Waits.ForAsync(reading, cancellationToken);
        return Known(room);
    }

    /// <summary>Not on any one caller's token: it is shared, and a caller that leaves only stops waiting for it.</summary>
    private async Task ReadAsync(string room, TaskCompletionSource done)
    {
        try
        {
            var started = clock.GetUtcNow();
            Read(room, await signals.ReadAsync(room, CancellationToken.None), started);
            reads.TryRemove(new KeyValuePair<string, Task>(room, done.Task));
            done.SetResult();
        }
        catch (Exception e)
        {
            reads.TryRemove(new KeyValuePair<string, Task>(room, done.Task));
            done.SetException(e);
        }
    }

    /// <summary>What is known of the room's newest message without reading anything (null: nothing known).</summary>
    public string? Known(string room) => rooms.TryGetValue(room, out var known) ? known.LatestId : null;

    private void Update(string room, string? id, DateTimeOffset? readStartedAt)
    {
        rooms.AddOrUpdate(room,
            _ => new Knowledge(id, readStartedAt ?? DateTimeOffset.MinValue),
            (_, known) => new Knowledge(Newest([known.LatestId, id]), readStartedAt is { } at && at > known.ReadAt ? at : known.ReadAt));
        if (rooms.Count > MaxRooms)
        {
            var stale = clock.GetUtcNow() - TimeSpan.FromMinutes(1);
            foreach (var old in rooms.Where(r => r.Value.ReadAt < stale).ToList())
            {
                rooms.TryRemove(old);
            }
        }
    }

    private static string? Newest(IEnumerable<string?> ids) =>
        ids.Where(id => id is not null).Max(StringComparer.Ordinal);

    private sealed record Knowledge(string? LatestId, DateTimeOffset ReadAt);
}
