using FunctionsChat.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>http(s) addresses become safe links, nothing else does; @name is highlighted and offered while typing.</summary>
[Collection(ChatSiteCollection.Name)]
public sealed class LinksAndMentionsTests(ChatSite site) : BrowserTest(site)
{
    [Fact]
    public async Task AnHttpsAddressBecomesANewTabLinkWithoutItsFullStopAndAJavascriptUrlStaysText()
    {
        using var api = Api();
        var li = await api.JoinAsync(Room, "李雷");
        var emma = await OpenAsync("Emma");
        const string text = "Docs: https://example.com/guide?step=2. Not this: javascript:alert(document.domain) <a href=x>nor this</a>";

        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, text)).Status);

        var message = emma.Message(text);
        await Expect(message).ToHaveCountAsync(1);
        var links = message.Locator("a");
        await Expect(links).ToHaveCountAsync(1);
        await Expect(links).ToHaveTextAsync("https://example.com/guide?step=2");
        await Expect(links).ToHaveAttributeAsync("href", "https://example.com/guide?step=2");
        await Expect(links).ToHaveAttributeAsync("target", "_blank");
        await Expect(links).ToHaveAttributeAsync("rel", "noopener noreferrer nofollow");
        // The rest is the text as written, markup and javascript: included.
        await Expect(message.GetByTestId("message-text")).ToHaveTextAsync(text);
        Assert.Equal(0, await emma.Page.Locator("[href^='javascript:' i], [href='x']").CountAsync());
    }

    [Fact]
    public async Task AMentionOfMeIsMarkedForMeAndTypingAtOffersTheNamesOnline()
    {
        using var api = Api();
        var li = await api.JoinAsync(Room, "李雷");
        var emma = await OpenAsync("Emma");
        await Expect(emma.OnlineMembers.Filter(new() { HasText = "李雷" })).ToHaveCountAsync(1);

        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "@Emma 你看一下")).Status);
        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "not for you")).Status);

        await Expect(emma.Message("@Emma 你看一下")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bmentions-me\b"));
        await Expect(emma.Message("@Emma 你看一下").Locator(".mention-me")).ToHaveTextAsync("@Emma");
        await Expect(emma.Message("not for you")).Not.ToHaveClassAsync(new System.Text.RegularExpressions.Regex(@"\bmentions-me\b"));

        // Typing @ offers the names online (not one's own); the arrow keys and Enter pick one without sending.
        await emma.Input.FocusAsync();
        await emma.Page.Keyboard.TypeAsync("thanks @");
        var offers = emma.Page.GetByTestId("mention-option");
        await Expect(offers).ToHaveTextAsync(["@李雷"]);
        await Expect(emma.Page.GetByTestId("mention-status")).ToContainTextAsync("李雷");
        await emma.Page.Keyboard.PressAsync("Enter");
        await Expect(emma.Input).ToHaveValueAsync("thanks @李雷 ");
        await Expect(emma.Page.GetByTestId("mention-options")).ToBeHiddenAsync();
        await Expect(emma.Pending).ToHaveCountAsync(0);

        // Now Enter sends, and the mention shows highlighted in the sent message.
        await emma.Page.Keyboard.TypeAsync("ok");
        await emma.Page.Keyboard.PressAsync("Enter");
        await Expect(emma.Message("thanks @李雷 ok").Locator(".mention")).ToHaveTextAsync("@李雷");

        // Escape closes the offers and keeps the text.
        await emma.Page.Keyboard.TypeAsync("@李");
        await Expect(offers).ToHaveCountAsync(1);
        await emma.Page.Keyboard.PressAsync("Escape");
        await Expect(emma.Page.GetByTestId("mention-options")).ToBeHiddenAsync();
        await Expect(emma.Input).ToHaveValueAsync("@李");
    }
}
