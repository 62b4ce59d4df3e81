using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Fakes;

public sealed class InMemoryMemberStore(FakeOutage? outage = null) : IMemberStore
{
    private readonly ConcurrentDictionary<(string Room, string UserId), Member> members = new();
    private int listCalls;

    /// <summary>Full member-list reads so far: each fan-out round makes one.</summary>
    public int ListCalls => Volatile.Read(ref listCalls);

    public Task AddAsync(Member member, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        if (!members.TryAdd((member.Room, member.UserId), member))
        {
            throw new InvalidOperationException($"Member {member.UserId} already exists in {member.Room}.");
        }
        return Task.CompletedTask;
    }

    public Task<Member?> GetAsync(string room, string userId, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        return Task.FromResult(members.GetValueOrDefault((room, userId)));
    }

    public Task<IReadOnlyList<Member>> ListAsync(string room, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        Interlocked.Increment(ref listCalls);
        IReadOnlyList<Member> list = members.Values.Where(m => m.Room == room).OrderBy(m => m.UserId, StringComparer.Ordinal).ToList();
        return Task.FromResult(list);
    }

    public Task<int> CountSeenSinceAsync(string room, DateTimeOffset seenSince, int atMost, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        return Task.FromResult(Math.Min(atMost, members.Values.Count(m => m.Room == room && m.LastSeen >= seenSince)));
    }

    /// <summary>While set, lastSeen writes wait for this task first: writes that hang.</summary>
    public Task? TouchesWaitFor { get; set; }

    public async Task<bool> TouchAsync(string room, string userId, DateTimeOffset lastSeen, CancellationToken cancellationToken)
    {
        if (TouchesWaitFor is { } hanging)
        {
            await hanging.WaitAsync(cancellationToken);
        }
        return Touch(room, userId, lastSeen, cancellationToken);
    }

    private bool Touch(string room, string userId, DateTimeOffset lastSeen, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        while (members.TryGetValue((room, userId), out var current))
        {
            if (members.TryUpdate((room, userId), current with { LastSeen = lastSeen }, current))
            {
                return true;
            }
        }
        return false;
    }

    public Task<bool> RemoveAsync(string room, string userId, CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        return Task.FromResult(members.TryRemove((room, userId), out _));
    }

    public async IAsyncEnumerable<Member> ListSilentSinceAsync(DateTimeOffset cutoff, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Check(cancellationToken);
        foreach (var member in members.Values.Where(m => m.LastSeen < cutoff).ToList())
        {
            await Task.Yield();
            yield return member;
        }
    }

    private void Check(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        outage?.ThrowIfDown();
    }
}
