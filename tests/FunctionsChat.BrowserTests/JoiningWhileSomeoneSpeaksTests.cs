using FunctionsChat.BrowserTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>
/// A page that joins while someone speaks shows what was said: it joins first and reads history after, so a message
/// accepted while the join was on its way is in the history it reads (before the join) or on its new queue (after).
/// </summary>
[Collection(ChatSiteCollection.Name)]
public sealed class JoiningWhileSomeoneSpeaksTests(ChatSite site) : BrowserTest(site)
{
    [Fact]
    public async Task AMessageSentWhileThePagesJoinIsHeldForTwoSecondsIsShown()
    {
        using var api = Api();
        var bob = await api.JoinAsync(Room, "Bob");
        var events = new List<string>();
        Task Prepare(IBrowserContext context) => Task.WhenAll(
            context.RouteAsync("**/api/rooms/*/members", async route =>
            {
                if (route.Request.Method != "POST")
                {
                    await route.FallbackAsync();
                    return;
                }
                // The join is held by the browser for 2 s; Bob speaks in the middle of it.
                await Task.Delay(1000);
                Assert.Equal(201, (await api.SendMessageAsync(Room, bob.Token, "said while Emma was joining")).Status);
                await Task.Delay(1000);
                await route.ContinueAsync();
                lock (events)
                {
                    events.Add("joined");
                }
            }),
            context.RouteAsync("**/api/rooms/*/messages*", async route =>
            {
                if (route.Request.Method == "GET")
                {
                    lock (events)
                    {
                        events.Add("history");
                    }
                }
                await route.FallbackAsync();
            }));

        var emma = await OpenAsync("Emma", prepare: Prepare);

        await Expect(emma.Message("said while Emma was joining")).ToBeVisibleAsync();
        lock (events)
        {
            Assert.Equal("joined", events.FirstOrDefault());
        }
    }
}
