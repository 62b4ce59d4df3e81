using System.Text.RegularExpressions;
using FunctionsChat.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>The message box: keys, clearing, empty text and the 2000-character limit.</summary>
[Collection(ChatSiteCollection.Name)]
public sealed class ComposerTests(ChatSite site) : BrowserTest(site)
{
    [Fact]
    public async Task EnterSendsAndShiftEnterMakesANewLine()
    {
        var emma = await OpenAsync("Emma");
        await emma.Input.ClickAsync();
        await emma.Page.Keyboard.TypeAsync("first line");
        await emma.Page.Keyboard.PressAsync("Shift+Enter");
        await emma.Page.Keyboard.TypeAsync("第二行");

        await Expect(emma.Input).ToHaveValueAsync("first line\n第二行");
        await Expect(emma.Pending).ToHaveCountAsync(0);
        await Expect(emma.Messages).ToHaveCountAsync(0);

        await emma.Page.Keyboard.PressAsync("Enter");

        var text = emma.Messages.GetByTestId("message-text");
        await Expect(text).ToHaveCountAsync(1);
        // innerText follows the CSS, so this also proves the line break is shown, not collapsed into a space.
        Assert.Equal("first line\n第二行", await text.InnerTextAsync());
    }

    [Fact]
    public async Task TheBoxClearsAfterSendingAndKeepsTheFocus()
    {
        var emma = await OpenAsync("Emma");
        await emma.TypeAndSendAsync("Clear the box, please");

        await Expect(emma.Input).ToHaveValueAsync("");
        await Expect(emma.Input).ToBeFocusedAsync();
        await Expect(emma.Counter).ToHaveTextAsync("0 / 2000");
        await Expect(emma.Message("Clear the box, please")).ToBeVisibleAsync();
    }

    [Fact]
    public async Task EmptyTextIsNotSent()
    {
        var emma = await OpenAsync("Emma");

        await emma.Input.FillAsync("   \n\t  ");
        await Expect(emma.SendButton).ToBeDisabledAsync();
        await emma.Input.PressAsync("Enter");
        await emma.Input.FillAsync("");
        await emma.Input.PressAsync("Enter");
        await Expect(emma.Pending).ToHaveCountAsync(0);

        // The outbox sends in order, so had a blank gone out it would be refused (400) or shown before this one.
        await emma.TypeAndSendAsync("only this one");
        await Expect(emma.Message("only this one")).ToBeVisibleAsync();
        await Expect(emma.Messages).ToHaveCountAsync(1);
        await Expect(emma.Page.GetByTestId("error")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task TheCounterShowsTheLimitBeforeTheServerHasToRefuse()
    {
        var emma = await OpenAsync("Emma");

        await emma.Input.FillAsync("😀 你好");
        await Expect(emma.Counter).ToHaveTextAsync("4 / 2000"); // characters as the server counts them: code points

        await emma.Input.FillAsync(new string('字', 1990));
        await Expect(emma.Counter).ToHaveTextAsync("1990 / 2000");
        await Expect(emma.Counter).ToHaveClassAsync(new Regex(@"\bnear\b"));
        await Expect(emma.SendButton).ToBeEnabledAsync();

        await emma.Input.FillAsync(new string('字', 2001));
        await Expect(emma.Counter).ToHaveTextAsync("2001 / 2000 · 1 over the limit");
        await Expect(emma.Counter).ToHaveClassAsync(new Regex(@"\bover\b"));
        await Expect(emma.Input).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(emma.SendButton).ToBeDisabledAsync();

        await emma.Input.PressAsync("Enter");
        await Expect(emma.Input).ToHaveValueAsync(new string('字', 2001)); // kept, to be shortened
        await Expect(emma.Pending).ToHaveCountAsync(0);

        await emma.Input.PressAsync("Backspace");
        await Expect(emma.Counter).ToHaveTextAsync("2000 / 2000");
        await Expect(emma.SendButton).ToBeEnabledAsync();
        await emma.Input.PressAsync("Enter");
        await Expect(emma.Messages).ToHaveCountAsync(1);
        await Expect(emma.Page.GetByTestId("error")).ToBeHiddenAsync();
    }
}
