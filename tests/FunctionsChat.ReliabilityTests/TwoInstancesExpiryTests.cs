using Xunit.Abstractions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// Fault 4: two DevServer instances on one Azurite (one page on each), and a third person whose network is gone for
/// longer than the member timeout, so the server expires them.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class TwoInstancesExpiryTests(Browser browser, ITestOutputHelper output)
{
    private const int MemberTimeoutSeconds = 10; // the smallest the options allow

    [Fact]
    public async Task MessagesReachThePagesOnBothInstancesAndAnExpiredMemberGets410AndRejoins()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["Chat__MemberTimeoutSeconds"] = $"{MemberTimeoutSeconds}";
        // The pages still ask for 30 s polls; with a 10 s timeout and lastSeen written every second the server ends
        // each poll after 4 s (ChatOptions.LongestPoll), so the people who stay online are never expired.
        environment["Chat__LastSeenWriteIntervalSeconds"] = "1";
        await using var a = await DevServerProcess.StartHealthyAsync(environment);
        await using var b = await DevServerProcess.StartHealthyAsync(environment);
        var room = Rooms.New("expiry");
        var traffic = new Traffic();
        var alice = await Person.OpenAsync(browser.Chromium, a.BaseAddress, room, "Alice");
        var bob = await Person.OpenAsync(browser.Chromium, b.BaseAddress, room, "Bob");
        var carol = await Person.OpenAsync(browser.Chromium, a.BaseAddress, room, "Carol");
        using var http = new ChatApi(b.BaseAddress);
        try
        {
            traffic.Watch(carol, "Carol");
            traffic.Watch(alice, "Alice");
            traffic.Watch(bob, "Bob");
            var sent = new List<string>();
            async Task SayAsync(Person who, string text)
            {
                sent.Add(text);
                await who.TypeAndSendAsync(text);
            }

            // Across instances: Alice is served by A, Bob by B.
            await SayAsync(alice, "hello from Alice on A");
            await bob.WaitUntilShownAsync(sent, TimeSpan.FromSeconds(30), "Bob");
            await SayAsync(bob, "hello from Bob on B");
            await alice.WaitUntilShownAsync(sent, TimeSpan.FromSeconds(30), "Alice");
            await carol.WaitUntilShownAsync(sent, TimeSpan.FromSeconds(30), "Carol");

            // Carol's network goes away for longer than the member timeout.
            var carolBefore = await carol.StoredMemberAsync();
            await carol.Context.SetOfflineAsync(true);
            var offlineAt = DateTime.UtcNow;
            await SayAsync(alice, "while Carol is away, from Alice");
            await SayAsync(bob, "while Carol is away, from Bob");
            await alice.WaitUntilShownAsync(sent, TimeSpan.FromSeconds(30), "Alice");
            await bob.WaitUntilShownAsync(sent, TimeSpan.FromSeconds(30), "Bob");
            await Eventually.UntilAsync(async () =>
            {
                var members = await http.MembersAsync(room);
                return members.Status == 200 && members.Body.GetProperty("members").EnumerateArray().All(m => m.GetProperty("userId").GetString() != carolBefore.UserId);
            }, TimeSpan.FromSeconds(60), "Carol drops out of the members list");
            var expiredAfter = DateTime.UtcNow - offlineAt;
            // Alice and Bob kept polling all along: they are still members.
            var online = (await http.MembersAsync(room)).Body.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
            Assert.Contains("Alice", online);
            Assert.Contains("Bob", online);

            // Back online: the page's next request as the old member is refused with 410, and it joins again.
            var backAt = DateTime.UtcNow;
            await carol.Context.SetOfflineAsync(false);
            await Eventually.UntilAsync(async () => (await carol.StoredMemberAsync()).UserId != carolBefore.UserId,
                TimeSpan.FromSeconds(60), "Carol's page joins again");
            var carolAfter = await carol.StoredMemberAsync();
            Assert.Equal("Carol", carolAfter.Name);
            var gone = traffic.All.Where(s => s.Who == "Carol" && s.At >= backAt && s.Status == 410).ToList();
            Assert.True(gone.Count > 0, $"Carol's old membership must be answered 410; she saw: {Traffic.Summary(traffic.All.Where(s => s.Who == "Carol" && s.At >= backAt))}");

            await SayAsync(carol, "Carol is back");
            await SayAsync(bob, "welcome back, from Bob on B");
            await SayAsync(alice, "welcome back, from Alice on A");
            var onAlice = await alice.WaitUntilShownAsync(sent, TimeSpan.FromSeconds(45), "Alice");
            var onBob = await bob.WaitUntilShownAsync(sent, TimeSpan.FromSeconds(45), "Bob");
            var onCarol = await carol.WaitUntilShownAsync(sent, TimeSpan.FromSeconds(45), "Carol");

            output.WriteLine($"Carol offline; expired (left the members list) {expiredAfter.TotalSeconds:0.0} s later; after she came back: " +
                $"{Traffic.Summary(traffic.All.Where(s => s.Who == "Carol" && s.At >= backAt))}. Sent {sent.Count}: Alice shows {onAlice.Count}, Bob {onBob.Count}, Carol {onCarol.Count}.");
            ChatPage.AssertEachExactlyOnce(onAlice, sent, "Alice");
            ChatPage.AssertEachExactlyOnce(onBob, sent, "Bob");
            ChatPage.AssertEachExactlyOnce(onCarol, sent, "Carol");
            Assert.Equal(sent.Count, onAlice.Count);
            Assert.Equal(sent.Count, onBob.Count);
            Assert.Equal(sent.Count, onCarol.Count);
            Assert.DoesNotContain(traffic.All, s => s.Status >= 500);
            // The pages asked for 30 s polls throughout, and the people who stayed online were never expired.
            Assert.Contains(traffic.All, s => s.Who == "Alice" && s.Path.EndsWith("/updates?timeout=30", StringComparison.Ordinal) && s.Status == 200);
            Assert.DoesNotContain(traffic.All, s => s.Who != "Carol" && s.Status == 410);
            ChatPage.AssertNoScriptErrors(alice, bob, carol);
        }
        finally
        {
            await alice.CloseAsync();
            await bob.CloseAsync();
            await carol.CloseAsync();
        }
    }
}
