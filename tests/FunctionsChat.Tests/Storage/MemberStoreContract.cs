using FunctionsChat.Storage;
using FunctionsChat.Storage.Azure;
using FunctionsChat.Tests.Fakes;

namespace FunctionsChat.Tests.Storage;

/// <summary>What every <see cref="IMemberStore"/> must do, on the in-memory fake and on the Table adapter on Azurite.</summary>
public abstract class MemberStoreContract
{
    private static readonly DateTimeOffset Joined = new DateTimeOffset(2025, 3, 14, 9, 26, 53, TimeSpan.Zero).AddTicks(5_897_932);

    private readonly CancellationTokenSource timeout = new(TestData.TestTimeout);

    protected CancellationToken Token => timeout.Token;

    protected abstract IMemberStore Members { get; }

    [Fact]
    public async Task AnAddedMemberReadsBackExactly()
    {
        var member = NewMember(TestData.Room(), name: "王芳 🌸 O'Brien <&>") with { JoinedAt = Joined, LastSeen = Joined.AddSeconds(3) };

        await Members.AddAsync(member, Token);

        var stored = await Members.GetAsync(member.Room, member.UserId, Token);
        Assert.Equal(member, stored);
        Assert.Equal("王芳 🌸 O'Brien <&>", stored!.Name);
        Assert.Equal(Joined.UtcTicks, stored.JoinedAt.UtcTicks);
    }

    [Fact]
    public async Task TimesWithAnOffsetReadBackAsTheSameInstant()
    {
        var china = TimeSpan.FromHours(8);
        var member = NewMember(TestData.Room()) with { JoinedAt = Joined.ToOffset(china), LastSeen = Joined.ToOffset(china).AddMinutes(1) };

        await Members.AddAsync(member, Token);

        var stored = await Members.GetAsync(member.Room, member.UserId, Token);
        Assert.Equal(member.JoinedAt.UtcTicks, stored!.JoinedAt.UtcTicks);
        Assert.Equal(member.LastSeen.UtcTicks, stored.LastSeen.UtcTicks);
    }

    [Fact]
    public async Task GetOfAMemberThatNeverJoinedReturnsNull()
    {
        var room = TestData.Room();
        Assert.Null(await Members.GetAsync(room, TestData.UserId(), Token));

        var member = NewMember(room);
        await Members.AddAsync(member, Token);

        Assert.Null(await Members.GetAsync(room, TestData.UserId(), Token));
        Assert.Null(await Members.GetAsync(TestData.Room(), member.UserId, Token));
    }

    [Fact]
    public async Task ListReturnsEveryMemberOfTheRoomAndNoOneElse()
    {
        var room = TestData.Room();
        var longerName = room + "x"; // One room's name is a prefix of the other's.
        var here = new[] { NewMember(room, "甲"), NewMember(room, "乙"), NewMember(room, "丙") };
        var there = NewMember(longerName, "丁");
        foreach (var member in here.Append(there))
        {
            await Members.AddAsync(member, Token);
        }

        Assert.Equal(ByUser(here), ByUser(await Members.ListAsync(room, Token)));
        Assert.Equal([there], await Members.ListAsync(longerName, Token));
        Assert.Empty(await Members.ListAsync(TestData.Room(), Token));
    }

    [Fact]
    public async Task CountSeenSinceCountsOnlyThatRoomsMembersSeenAtOrAfterTheCutoff()
    {
        var cutoff = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var room = TestData.Room();
        var seen = new[] { cutoff, cutoff.AddTicks(1), cutoff.AddMinutes(3) }.Select(t => NewMember(room) with { LastSeen = t });
        var silent = NewMember(room) with { LastSeen = cutoff.AddTicks(-1) };
        var elsewhere = NewMember(room + "x") with { LastSeen = cutoff.AddMinutes(1) };
        foreach (var member in seen.Append(silent).Append(elsewhere))
        {
            await Members.AddAsync(member, Token);
        }

        Assert.Equal(3, await Members.CountSeenSinceAsync(room, cutoff, 100, Token));
        Assert.Equal(4, await Members.CountSeenSinceAsync(room, cutoff.AddMinutes(-1), 100, Token));
        Assert.Equal(0, await Members.CountSeenSinceAsync(TestData.Room(), cutoff, 100, Token));
    }

    [Fact]
    public async Task CountSeenSinceStopsAtItsLimit()
    {
        var room = TestData.Room();
        for (var i = 0; i < 5; i++)
        {
            await Members.AddAsync(NewMember(room), Token);
        }

        Assert.Equal(2, await Members.CountSeenSinceAsync(room, Joined, 2, Token));
        Assert.Equal(5, await Members.CountSeenSinceAsync(room, Joined, 5, Token));
        Assert.Equal(5, await Members.CountSeenSinceAsync(room, Joined, 6, Token));
    }

    [Fact]
    public async Task AddingAMemberTwiceFailsWithoutClaimingAnOutageAndKeepsTheFirst()
    {
        var member = NewMember(TestData.Room(), "first");
        await Members.AddAsync(member, Token);

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => Members.AddAsync(member with { Name = "second" }, Token));

        Assert.IsNotType<StorageUnavailableException>(failure);
        Assert.Equal(member, await Members.GetAsync(member.Room, member.UserId, Token));
    }

    [Fact]
    public async Task TouchUpdatesLastSeenAndNothingElse()
    {
        var member = NewMember(TestData.Room());
        await Members.AddAsync(member, Token);
        var later = member.LastSeen.AddSeconds(42).AddTicks(1234);

        Assert.True(await Members.TouchAsync(member.Room, member.UserId, later, Token));

        Assert.Equal(member with { LastSeen = later }, await Members.GetAsync(member.Room, member.UserId, Token));
        Assert.Equal([member with { LastSeen = later }], await Members.ListAsync(member.Room, Token));
    }

    [Fact]
    public async Task TouchOfAMissingMemberReturnsFalseAndCreatesNothing()
    {
        var room = TestData.Room();
        var userId = TestData.UserId();

        Assert.False(await Members.TouchAsync(room, userId, Joined, Token));

        Assert.Null(await Members.GetAsync(room, userId, Token));
        Assert.Empty(await Members.ListAsync(room, Token));
    }

    [Fact]
    public async Task RemoveReturnsTrueOnceThenFalse()
    {
        var member = NewMember(TestData.Room());
        var stays = NewMember(member.Room);
        await Members.AddAsync(member, Token);
        await Members.AddAsync(stays, Token);

        Assert.True(await Members.RemoveAsync(member.Room, member.UserId, Token));
        Assert.False(await Members.RemoveAsync(member.Room, member.UserId, Token));

        Assert.Null(await Members.GetAsync(member.Room, member.UserId, Token));
        Assert.Equal([stays], await Members.ListAsync(member.Room, Token));
    }

    [Fact]
    public async Task RemoveOfAMemberThatNeverJoinedReturnsFalse()
    {
        Assert.False(await Members.RemoveAsync(TestData.Room(), TestData.UserId(), Token));
    }

    [Fact]
    public async Task TouchAfterRemoveReturnsFalseAndDoesNotBringTheMemberBack()
    {
        var member = NewMember(TestData.Room());
        await Members.AddAsync(member, Token);
        await Members.RemoveAsync(member.Room, member.UserId, Token);

        Assert.False(await Members.TouchAsync(member.Room, member.UserId, Joined.AddHours(1), Token));

        Assert.Null(await Members.GetAsync(member.Room, member.UserId, Token));
        Assert.Empty(await Members.ListAsync(member.Room, Token));
    }

    [Fact]
    public async Task ListSilentSinceFindsOnlyMembersSeenBeforeTheCutoffInEveryRoom()
    {
        var cutoff = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var (roomA, roomB) = (TestData.Room(), TestData.Room());
        var longGone = NewMember(roomA) with { LastSeen = cutoff.AddMinutes(-10) };
        var justGone = NewMember(roomB) with { LastSeen = cutoff.AddTicks(-1) };
        var exactlyAtCutoff = NewMember(roomA) with { LastSeen = cutoff };
        var active = NewMember(roomB) with { LastSeen = cutoff.AddSeconds(5) };
        foreach (var member in new[] { longGone, justGone, exactlyAtCutoff, active })
        {
            await Members.AddAsync(member, Token);
        }

        Assert.Equal(ByUser([longGone, justGone]), ByUser(await SilentSinceAsync(cutoff)));
        Assert.Empty(await SilentSinceAsync(cutoff.AddMinutes(-11)));
        Assert.Equal(4, (await SilentSinceAsync(cutoff.AddMinutes(1))).Count);
    }

    [Fact]
    public async Task ListSilentSinceFollowsTouchesAndRemovals()
    {
        var cutoff = new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        var room = TestData.Room();
        var touched = NewMember(room) with { LastSeen = cutoff.AddMinutes(-5) };
        var removed = NewMember(room) with { LastSeen = cutoff.AddMinutes(-5) };
        var silent = NewMember(room) with { LastSeen = cutoff.AddMinutes(-5) };
        foreach (var member in new[] { touched, removed, silent })
        {
            await Members.AddAsync(member, Token);
        }

        await Members.TouchAsync(room, touched.UserId, cutoff.AddSeconds(1), Token);
        await Members.RemoveAsync(room, removed.UserId, Token);

        Assert.Equal([silent], await SilentSinceAsync(cutoff));
    }

    private async Task<List<Member>> SilentSinceAsync(DateTimeOffset cutoff)
    {
        var found = new List<Member>();
        await foreach (var member in Members.ListSilentSinceAsync(cutoff, Token))
        {
            found.Add(member);
        }
        return found;
    }

    private static List<Member> ByUser(IEnumerable<Member> members) => members.OrderBy(m => m.UserId, StringComparer.Ordinal).ToList();

    private static Member NewMember(string room, string name = "李雷")
    {
        var userId = TestData.UserId();
        return new Member(room, userId, name, $"inbox-{userId}", Joined, Joined);
    }
}

public sealed class MemberStoreOnFakes : MemberStoreContract
{
    protected override IMemberStore Members { get; } = new InMemoryMemberStore();
}

[Collection(AzuriteCollection.Name)]
public sealed class MemberStoreOnAzurite : MemberStoreContract, IAsyncLifetime
{
    private readonly AzuriteScope scope;

    public MemberStoreOnAzurite(AzuriteFixture azurite)
    {
        scope = azurite.NewScope();
        Members = new TableMemberStore(scope.Clients.Tables, scope.Options);
    }

    protected override IMemberStore Members { get; }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => scope.DisposeAsync().AsTask();
}
