using System.Text.Json;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// Fault 1: the connection drops while a long poll's answer is on its way back. The server has already taken the
/// messages off the member's queue (each is returned once), so only the page's gap fill from history can save them.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class ClientDisconnectTests(Browser browser, SharedServer shared, ITestOutputHelper output)
{
    [Fact]
    public async Task LongPollAnswersLostAfterTheServerConsumedTheMessagesAreRefilledFromHistoryExactlyOnce()
    {
        var room = Rooms.New("drop");
        var dropper = new PollDropper(dropEveryNth: 2, maxDrops: 5);
        var alice = await Person.OpenAsync(browser.Chromium, shared.BaseAddress, room, "Alice",
            prepare: context => context.RouteAsync("**/api/rooms/*/updates*", dropper.HandleAsync));
        var bob = await Person.OpenAsync(browser.Chromium, shared.BaseAddress, room, "Bob");
        try
        {
            var texts = new List<string>();
            // One at a time, so that many long polls each carry a message and every other one is dropped.
            for (var i = 1; i <= 8; i++)
            {
                var text = $"one at a time #{i}";
                texts.Add(text);
                await bob.TypeAndSendAsync(text);
                await alice.WaitUntilShownAsync([text], TimeSpan.FromSeconds(30), "Alice");
            }
            // Then a burst: several messages in one poll answer, which may be dropped whole.
            for (var i = 1; i <= 6; i++)
            {
                var text = $"burst #{i}";
                texts.Add(text);
                await bob.TypeAndSendAsync(text);
            }

            var onAlice = await alice.WaitUntilShownAsync(texts, TimeSpan.FromSeconds(60), "Alice");
            var onBob = await bob.WaitUntilShownAsync(texts, TimeSpan.FromSeconds(30), "Bob");

            var (polls, withMessages, dropped, droppedIds) = dropper.Snapshot();
            output.WriteLine($"Alice's long polls: {polls} answered, {withMessages} with messages, {dropped} dropped after the server " +
                $"consumed them ({droppedIds.Count} messages inside). Sent {texts.Count}; Alice shows {onAlice.Count}, Bob shows {onBob.Count}.");
            Assert.True(dropped >= 3, $"The test must drop answers that carried messages; it dropped {dropped} of {withMessages}.");
            ChatPage.AssertEachExactlyOnce(onAlice, texts, "Alice");
            ChatPage.AssertEachExactlyOnce(onBob, texts, "Bob");
            Assert.All(droppedIds, id => Assert.Single(onAlice, m => m.Id == id));
            Assert.Equal(texts.Count, onAlice.Count);
            ChatPage.AssertNoScriptErrors(alice, bob);
        }
        finally
        {
            await alice.CloseAsync();
            await bob.CloseAsync();
        }
    }

    /// <summary>
    /// Lets each long poll reach the server and come back (so the server has consumed what it returns), then throws
    /// away every n-th answer that carried messages, as a dropped connection would.
    /// </summary>
    private sealed class PollDropper(int dropEveryNth, int maxDrops)
    {
        private readonly Lock _gate = new();
        private readonly List<string> _droppedIds = [];
        private int _polls;
        private int _withMessages;
        private int _dropped;

        public (int Polls, int WithMessages, int Dropped, IReadOnlyList<string> DroppedIds) Snapshot()
        {
            lock (_gate)
            {
                return (_polls, _withMessages, _dropped, [.. _droppedIds]);
            }
        }

        public async Task HandleAsync(IRoute route)
        {
            IAPIResponse response;
            try
            {
                response = await route.FetchAsync(new RouteFetchOptions { Timeout = 90_000 });
            }
            catch (PlaywrightException)
            {
                await Quietly(() => route.AbortAsync()); // the page gave up on it, or the context is closing
                return;
            }
            var ids = response.Status == 200 ? MessageIds(await response.TextAsync()) : [];
            bool drop;
            lock (_gate)
            {
                _polls++;
                drop = false;
                if (ids.Count > 0)
                {
                    _withMessages++;
                    drop = _withMessages % dropEveryNth == 1 && _dropped < maxDrops;
                    if (drop)
                    {
                        _dropped++;
                        _droppedIds.AddRange(ids);
                    }
                }
            }
            await Quietly(() => drop ? route.AbortAsync("connectionreset") : route.FulfillAsync(new RouteFulfillOptions { Response = response }));
        }

        private static List<string> MessageIds(string body)
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();
        }

        private static async Task Quietly(Func<Task> action)
        {
            try
            {
                await action();
            }
            catch (PlaywrightException)
            {
                // The page or its context closed meanwhile.
            }
        }
    }
}
