using System.Text.Json;
using FunctionsChat.BrowserTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>The list stays in id order however messages arrive: a gap fill can bring older ones after newer ones.</summary>
[Collection(ChatSiteCollection.Name)]
public sealed class MessageOrderTests(ChatSite site) : BrowserTest(site)
{
    [Fact]
    public async Task SeveralOlderMessagesArrivingTogetherAfterANewerOneAreInsertedBeforeItInIdOrder()
    {
        var emma = await OpenAsync("Emma");
        using var api = Api();
        var bob = await api.JoinAsync(Room, "Bob");

        // The poll after the next one answers with two messages whose ids sort before the newest one shown, as a
        // gap fill after a lost poll answer does when a sender's own message (from its POST) is already there.
        var newestId = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answered = 0;
        await emma.Page.RouteAsync("**/api/rooms/*/updates*", async route =>
        {
            if (Interlocked.Increment(ref answered) > 1)
            {
                await route.ContinueAsync();
                return;
            }
            var id = await newestId.Task;
            var sentAt = DateTime.UtcNow.AddSeconds(-1).ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'");
            var late = new[] { (Id: id[..^2], Text: "late one"), (Id: id[..^1], Text: "late two") }.Select(m =>
                new { id = m.Id, room = Room, userId = bob.UserId, name = bob.Name, text = m.Text, sentAt });
            await route.FulfillAsync(new RouteFulfillOptions { ContentType = "application/json", Body = JsonSerializer.Serialize(new { messages = late }) });
        });
        Assert.Equal(201, (await api.SendMessageAsync(Room, bob.Token, "newest")).Status);
        await Expect(emma.Message("newest")).ToBeVisibleAsync();
        newestId.SetResult((await emma.Message("newest").GetAttributeAsync("data-id"))!);

        await Expect(emma.Messages.Locator("[data-testid=message-text]")).ToHaveTextAsync(["late one", "late two", "newest"]);
    }
}
