using Xunit.Abstractions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// Fault 2: DevServer is killed (SIGKILL, no shutdown) in the middle of a conversation and started again on the same
/// port with the same signing key. Both pages must carry on by themselves: no reload, nothing lost, nothing twice.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class DevServerRestartTests(Browser browser, ITestOutputHelper output)
{
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task BothPagesRecoverFromAKilledAndRestartedDevServerWithoutLossOrDuplicates()
    {
        // Shared Azurite (DevServer did not start it, so killing DevServer orphans nothing); a fixed key in the
        // environment, so tokens issued before the kill are still valid after it.
        var environment = ChatEnvironment.OnSharedAzurite();
        var server = await DevServerProcess.StartHealthyAsync(environment);
        var port = server.BaseAddress.Port;
        var room = Rooms.New("restart");
        var traffic = new Traffic();
        Person? alice = null, bob = null;
        try
        {
            alice = await Person.OpenAsync(browser.Chromium, server.BaseAddress, room, "Alice");
            bob = await Person.OpenAsync(browser.Chromium, server.BaseAddress, room, "Bob");
            traffic.Watch(alice, "Alice");
            traffic.Watch(bob, "Bob");

            string[] before = ["before the crash, from Alice", "before the crash, from Bob"];
            await alice.TypeAndSendAsync(before[0]);
            await bob.WaitUntilShownAsync([before[0]], TimeSpan.FromSeconds(30), "Bob");
            await bob.TypeAndSendAsync(before[1]);
            await alice.WaitUntilShownAsync([before[1]], TimeSpan.FromSeconds(30), "Alice");

            // Kill right after a send was typed: its POST may or may not have reached the server. Either way the
            // page retries with the same clientMessageId and the server stores it once.
            await alice.TypeAndSendAsync("typed as the server died");
            await server.KillAsync();
            var killedAt = DateTime.UtcNow;

            string[] whileDown = ["while the server is down, from Alice", "while the server is down, from Bob", "second while down, from Bob"];
            await alice.TypeAndSendAsync(whileDown[0]);
            await bob.TypeAndSendAsync(whileDown[1]);
            await bob.TypeAndSendAsync(whileDown[2]);
            // Down for a few seconds at least, so the pages are into their back-off, not at a first quick retry.
            await Eventually.UntilAsync(async () =>
                DateTime.UtcNow - killedAt > TimeSpan.FromSeconds(5) &&
                await alice.ConnectionStateAsync() is "reconnecting" or "offline" && await bob.ConnectionStateAsync() is "reconnecting" or "offline",
                TimeSpan.FromSeconds(60), "both pages notice the server is gone");
            Assert.True(await alice.Pending.CountAsync() >= 1 && await bob.Pending.CountAsync() >= 2, "messages typed while the server is down wait in the outbox");

            server = await DevServerProcess.StartHealthyAsync(environment, port);
            var upAt = DateTime.UtcNow;

            string[] all = [.. before, "typed as the server died", .. whileDown];
            var onAlice = await alice.WaitUntilShownAsync(all, Recovery, "Alice");
            var onBob = await bob.WaitUntilShownAsync(all, Recovery, "Bob");
            var recovered = DateTime.UtcNow - upAt;

            // Live again, not just caught up: a new message goes through the long poll.
            await bob.TypeAndSendAsync("after the restart, from Bob");
            await alice.TypeAndSendAsync("after the restart, from Alice");
            all = [.. all, "after the restart, from Bob", "after the restart, from Alice"];
            onAlice = await alice.WaitUntilShownAsync(all, TimeSpan.FromSeconds(30), "Alice");
            onBob = await bob.WaitUntilShownAsync(all, TimeSpan.FromSeconds(30), "Bob");
            await Eventually.UntilAsync(async () => await alice.Pending.CountAsync() == 0 && await bob.Pending.CountAsync() == 0,
                TimeSpan.FromSeconds(30), "no message left pending");

            ChatPage.AssertEachExactlyOnce(onAlice, all, "Alice");
            ChatPage.AssertEachExactlyOnce(onBob, all, "Bob");
            Assert.Equal(all.Length, onAlice.Count);
            Assert.Equal(all.Length, onBob.Count);
            using (var http = new ChatApi(server.BaseAddress))
            {
                var stored = await http.AllMessagesAsync(room);
                Assert.Equal(all.Order(StringComparer.Ordinal), stored.Select(m => m.GetProperty("text").GetString()!).Order(StringComparer.Ordinal));
            }
            var seen = traffic.All;
            Assert.DoesNotContain(seen, s => s.Status >= 500 && s.Status != 503);
            output.WriteLine($"Down for {(upAt - killedAt).TotalSeconds:0.0} s (kill to healthy); both pages showed everything " +
                $"{recovered.TotalSeconds:0.0} s after the restart. Sent {all.Length}, Alice shows {onAlice.Count}, Bob shows {onBob.Count}, " +
                $"stored {all.Length}. Responses: {Traffic.Summary(seen)}");
            ChatPage.AssertNoScriptErrors(alice, bob);
        }
        finally
        {
            if (alice is not null)
            {
                await alice.CloseAsync();
            }
            if (bob is not null)
            {
                await bob.CloseAsync();
            }
            await server.DisposeAsync();
        }
    }
}
