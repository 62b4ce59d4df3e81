using FunctionsChat.Delivery;
using FunctionsChat.Messages;
using FunctionsChat.Storage;
using FunctionsChat.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsChat.Tests.Functions;

/// <summary>Group commit: sends that arrive while a room's fan-out round is in flight go out together in the next round.</summary>
public sealed class GroupCommitTests
{
    private readonly ChatTestApp app = new();

    [Fact]
    public async Task SendsDuringARoundGoOutTogetherAsOnePayloadPerMemberAndEachMessageArrivesOnce()
    {
        var members = new[] { await app.JoinAsMemberAsync("lobby"), await app.JoinAsMemberAsync("lobby"), await app.JoinAsMemberAsync("lobby") };
        var gated = new HeldFirstPut(app.Inboxes);
        var fanOut = ActivatorUtilities.CreateInstance<MessageFanOut>(app.Services, ActivatorUtilities.CreateInstance<QueuePuts>(app.Services, (IInboxes)gated));
        var ids = app.Services.GetRequiredService<MessageIds>();
        var messages = Enumerable.Range(1, 4).Select(i => new ChatMessage(ids.Next().Id, "lobby", members[0].UserId, members[0].Name, $"m{i}", app.Clock.GetUtcNow())).ToList();

        var first = fanOut.DeliverAsync(messages[0], CancellationToken.None);
        await gated.FirstPutHeld.WaitAsync(TimeSpan.FromSeconds(10));
        var later = messages.Skip(1).Select(m => fanOut.DeliverAsync(m, CancellationToken.None)).ToList();
        await Task.Delay(50);
        Assert.False(first.IsCompleted);
        Assert.All(later, t => Assert.False(t.IsCompleted));

        gated.Release();
        await Task.WhenAll(later.Append(first)).WaitAsync(TimeSpan.FromSeconds(10));

        foreach (var member in members)
        {
            var queue = (await app.Members.GetAsync("lobby", member.UserId, default))!.QueueName;
            var payloads = (await app.Inboxes.ReceiveAsync(queue, 32, default))!.Select(InboxPayload.Deserialize).ToList();
            Assert.Equal(2, payloads.Count);
            Assert.Equal(new[] { "m1" }, payloads[0].Select(m => m.Text));
            Assert.Equal(new[] { "m2", "m3", "m4" }, payloads[1].Select(m => m.Text));
        }
    }

    [Fact]
    public async Task ALoneSendGoesOutAtOnceAndEachSenderReturnsOnlyAfterItsMessageWasFannedOut()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");

        Assert.Equal(201, (await app.SendTextAsync(alice, "one")).Status);
        Assert.Equal(201, (await app.SendTextAsync(bob, "two")).Status);

        // Both sends returned: both messages are on both queues already, one put each.
        Assert.Equal(new[] { "one", "two" }, (await app.PollAsync("lobby", bob.Token, "timeout=1")).MessageTexts);
        Assert.Equal(new[] { "one", "two" }, (await app.PollAsync("lobby", alice.Token, "timeout=1")).MessageTexts);
    }

    [Fact]
    public async Task ConcurrentSendsToOneRoomAllArriveOnceAtEveryMember()
    {
        var members = new List<Joined>();
        for (var i = 0; i < 5; i++)
        {
            members.Add(await app.JoinAsMemberAsync("lobby"));
        }

        var sends = Enumerable.Range(0, 20).Select(i => Task.Run(() => app.SendTextAsync(members[i % members.Count], $"m{i:D2}"))).ToList();
        Assert.All(await Task.WhenAll(sends), r => Assert.Equal(201, r.Status));

        foreach (var member in members)
        {
            var queue = (await app.Members.GetAsync("lobby", member.UserId, default))!.QueueName;
            var received = (await app.Inboxes.ReceiveAsync(queue, 32, default))!.SelectMany(InboxPayload.Deserialize).Select(m => m.Text);
            Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i:D2}"), received.Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void PackKeepsOrderAndSplitsByCountAndSize()
    {
        var small = Enumerable.Range(0, 40).Select(i => new ChatMessage($"{i:D19}-00000000", "r", "u", "n", $"t{i}", DateTimeOffset.UnixEpoch)).ToList();
        var big = Enumerable.Range(0, 3).Select(i => new ChatMessage($"{i:D19}-00000000", "r", "u", "n", new string('长', 2000), DateTimeOffset.UnixEpoch)).ToList();

        var smallPayloads = InboxPayload.Pack(small);
        var bigPayloads = InboxPayload.Pack(big);

        Assert.Equal(new[] { 32, 8 }, smallPayloads.Select(p => InboxPayload.Deserialize(p).Count));
        Assert.Equal(small.Select(m => m.Id), smallPayloads.SelectMany(InboxPayload.Deserialize).Select(m => m.Id));
        // 2000 CJK characters are 6 KB of UTF-8: two fit in one payload.
        Assert.Equal(new[] { 2, 1 }, bigPayloads.Select(p => InboxPayload.Deserialize(p).Count));
        Assert.All(bigPayloads, p => Assert.True(System.Text.Encoding.UTF8.GetByteCount(p) <= InboxPayload.MaxPayloadBytes));
    }
}
