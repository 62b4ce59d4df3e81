using FunctionsChat.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

[Collection(ChatSiteCollection.Name)]
public sealed class ScrollingTests(ChatSite site) : BrowserTest(site)
{
    [Fact]
    public async Task ANewMessagesMarkerAppearsInsteadOfScrollingWhenThePersonHasScrolledUp()
    {
        using var api = Api();
        var lihua = await api.JoinAsync(Room, "李华");
        var longRead = string.Join("\n", Enumerable.Range(1, 60).Select(i => $"第 {i} 行：一段很长的会议纪要"));
        Assert.Equal(201, (await api.SendMessageAsync(Room, lihua.Token, longRead)).Status);

        var emma = await OpenAsync("Emma");
        var scroller = emma.Page.GetByTestId("scroller");
        var marker = emma.Page.GetByTestId("new-messages");
        await Expect(emma.Messages).ToHaveCountAsync(1);
        Assert.True(await IsScrollableAsync(emma), "The test needs a message list taller than the scroller.");
        await WaitUntilAtBottomAsync(emma);

        await scroller.EvaluateAsync("el => el.scrollTop = 0");
        Assert.Equal(201, (await api.SendMessageAsync(Room, lihua.Token, "有人在吗？")).Status);

        await Expect(emma.Message("有人在吗？")).ToHaveCountAsync(1);
        await Expect(marker).ToBeVisibleAsync();
        // Not yanked down. At the top the page looked for older messages and found the room's start, whose marker
        // went in above without moving what was shown: the first message is still in view.
        await Expect(emma.Page.GetByTestId("room-start")).ToBeVisibleAsync();
        await Expect(emma.Messages.First).ToBeInViewportAsync();
        Assert.InRange(await scroller.EvaluateAsync<double>("el => el.scrollTop"), 0, 100);

        await marker.ClickAsync();
        await Expect(marker).ToBeHiddenAsync();
        await WaitUntilAtBottomAsync(emma);
        await Expect(emma.Input).ToBeFocusedAsync();

        // At the bottom, a new message scrolls into view and no marker shows.
        Assert.Equal(201, (await api.SendMessageAsync(Room, lihua.Token, "那我们开始吧")).Status);
        await Expect(emma.Message("那我们开始吧")).ToBeInViewportAsync();
        await Expect(marker).ToBeHiddenAsync();
        await WaitUntilAtBottomAsync(emma);
    }

    private static Task<bool> IsScrollableAsync(Person person) =>
        person.Page.GetByTestId("scroller").EvaluateAsync<bool>("el => el.scrollHeight > el.clientHeight + 100");

    private static async Task WaitUntilAtBottomAsync(Person person) =>
        await person.Page.WaitForFunctionAsync(
            "() => { const el = document.querySelector('[data-testid=scroller]'); return el.scrollHeight - el.scrollTop - el.clientHeight < 2; }",
            null,
            new() { Timeout = 10_000 });
}
