using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

public sealed class InMemoryMessageHistory(FakeOutage? outage = null) : IMessageHistory
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, SortedList<string, ChatMessage>> rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Room, string Key), string> dedupe = new();
    private readonly HashSet<(string Room, string Key)> delivered = [];
    private int queryCalls;

    /// <summary>History reads so far, to show how often the room watcher reads.</summary>
    public int QueryCalls => Volatile.Read(ref queryCalls);

    /// <summary>Messages stored in <paramref name="room"/> so far.</summary>
    public int Count(string room)
    {
        lock (gate)
        {
            return rooms.TryGetValue(room, out var messages) ? messages.Count : 0;
        }
    }

    /// <summary>Appends fail as storage does when unreachable, while everything else keeps working.</summary>
    public bool AppendFails { get; set; }

    public Task<AppendResult> AppendAsync(ChatMessage message, string? dedupeKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
        if (AppendFails)
        {
            throw new StorageUnavailableException("history appends are failing in this test");
        }
        lock (gate)
        {
            var room = RoomOf(message.Room);
            if (dedupeKey is not null && dedupe.TryGetValue((message.Room, dedupeKey), out var firstId))
            {
                return Task.FromResult(new AppendResult(room[firstId], Created: false, delivered.Contains((message.Room, dedupeKey))));
            }
            room.Add(message.Id, message);
            if (dedupeKey is not null)
            {
                dedupe[(message.Room, dedupeKey)] = message.Id;
            }
            return Task.FromResult(new AppendResult(message, Created: true));
        }
    }

    public Task MarkDeliveredAsync(string room, string dedupeKey, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
        lock (gate)
        {
            if (dedupe.ContainsKey((room, dedupeKey)))
            {
                delivered.Add((room, dedupeKey));
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<ChatMessage>> QueryAsync(string room, HistoryQuery query, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref queryCalls);
        outage?.ThrowIfDown();
        lock (gate)
        {
            var inRange = RoomOf(room).Values
                .Where(m => query.After is null || string.CompareOrdinal(m.Id, query.After) > 0)
                .Where(m => query.Before is null || string.CompareOrdinal(m.Id, query.Before) < 0);
            IReadOnlyList<ChatMessage> page = query.After is not null
                ? inRange.Take(query.Limit).ToList()
                : inRange.TakeLast(query.Limit).ToList();
            return Task.FromResult(page);
        }
    }

    private SortedList<string, ChatMessage> RoomOf(string room)
    {
        if (!rooms.TryGetValue(room, out var messages))
        {
            rooms[room] = messages = new SortedList<string, ChatMessage>(StringComparer.Ordinal);
        }
        return messages;
    }
}
