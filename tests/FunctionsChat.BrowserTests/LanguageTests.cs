using FunctionsChat.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

[Collection(ChatSiteCollection.Name)]
public sealed class LanguageTests(ChatSite site) : BrowserTest(site)
{
    [Fact]
    public async Task TheLanguageFollowsTheBrowserAndTheSwitchChangesTheTextAndTheDocumentLang()
    {
        var person = await OpenAsync(locale: "zh-CN");
        var page = person.Page;
        var html = page.Locator("html");
        await Expect(html).ToHaveAttributeAsync("lang", "zh-CN");
        await Expect(person.SendButton).ToHaveTextAsync("发送");
        await Expect(person.Input).ToHaveAttributeAsync("placeholder", "输入消息（Enter 发送，Shift+Enter 换行）");
        await Expect(page.GetByTestId("connection-state")).ToHaveTextAsync("已连接");
        await Expect(page.GetByTestId("language-switch")).ToHaveValueAsync("zh-CN");

        await page.GetByTestId("language-switch").SelectOptionAsync("en");

        await Expect(html).ToHaveAttributeAsync("lang", "en");
        await Expect(person.SendButton).ToHaveTextAsync("Send");
        await Expect(person.Input).ToHaveAttributeAsync("placeholder", "Write a message (Enter sends, Shift+Enter adds a line)");
        await Expect(page.GetByTestId("connection-state")).ToHaveTextAsync("Connected");
        await Expect(page.GetByTestId("leave")).ToHaveTextAsync("Leave");
        await Expect(page).ToHaveTitleAsync($"#{Room} · FunctionsChat");

        // The choice is remembered over the browser's own language.
        await page.ReloadAsync();
        await person.WaitUntilJoinedAsync();
        await Expect(html).ToHaveAttributeAsync("lang", "en");
        await Expect(person.SendButton).ToHaveTextAsync("Send");

        await page.GetByTestId("language-switch").SelectOptionAsync("zh-CN");
        await Expect(html).ToHaveAttributeAsync("lang", "zh-CN");
        await Expect(page.GetByTestId("leave")).ToHaveTextAsync("离开");
        await Expect(page).ToHaveTitleAsync($"#{Room} · FunctionsChat 聊天室");
    }

    [Fact]
    public async Task AnEnglishBrowserGetsTheEnglishPage()
    {
        var person = await OpenAsync(locale: "en-GB");
        await Expect(person.Page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(person.SendButton).ToHaveTextAsync("Send");
        await Expect(person.Page.GetByTestId("language-switch")).ToHaveValueAsync("en");
    }
}
