using FunctionsChat.Members;
using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Functions;

/// <summary>Authentication reuses a room's member list briefly; fan-out always reads it fresh.</summary>
public sealed class MembersCacheTests
{
    private readonly ChatTestApp app = new(new Dictionary<string, string?> { ["Chat:MembersCacheMilliseconds"] = "1500" });

    [Fact]
    public async Task AJoinOnThisInstanceIsSeenByTheNextSendAtOnce()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        await app.SendTextAsync(alice, "before bob");

        var bob = await app.JoinAsMemberAsync("lobby");
        await app.SendTextAsync(alice, "after bob");

        Assert.Equal(["after bob"], (await app.PollAsync("lobby", bob.Token, "timeout=1")).MessageTexts);
    }

    [Fact]
    public async Task AJoinOnAnotherInstanceIsSeenByTheNextSendAtOnce()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        await app.SendTextAsync(alice, "warms the cache");
        var carol = new Member("lobby", "c0ffee", "carol", "inbox-c0ffee", app.Clock.GetUtcNow(), app.Clock.GetUtcNow());
        await app.Inboxes.CreateAsync(carol.QueueName, default);
        await app.Members.AddAsync(carol, default);

        await app.SendTextAsync(alice, "within the lifetime");
        app.Clock.Advance(TimeSpan.FromMilliseconds(1500));
        await app.SendTextAsync(alice, "after the lifetime");

        var received = (await app.Inboxes.ReceiveAsync(carol.QueueName, 32, default))!.SelectMany(FunctionsChat.Storage.InboxPayload.Deserialize).Select(m => m.Text);
        Assert.Equal(["within the lifetime", "after the lifetime"], received);
    }

    [Fact]
    public async Task ALeaveOnThisInstanceIsSeenByTheNextSendAtOnce()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        await app.SendTextAsync(alice, "both here");
        var bobQueue = (await app.Members.GetAsync("lobby", bob.UserId, default))!.QueueName;

        Assert.Equal(204, (await app.LeaveAsync("lobby", bob.Token, bob.UserId)).Status);
        await app.Inboxes.CreateAsync(bobQueue, default);
        await app.SendTextAsync(alice, "bob left");

        Assert.Equal([], await app.Inboxes.ReceiveAsync(bobQueue, 32, default));
    }
}
