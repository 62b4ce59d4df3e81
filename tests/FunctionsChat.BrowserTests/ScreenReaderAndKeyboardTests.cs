using System.Text.RegularExpressions;
using FunctionsChat.BrowserTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>
/// What a screen reader and a keyboard get: the message log that reads out new messages, the focus after sending, and
/// the side panels reached with Tab and named.
/// </summary>
[Collection(ChatSiteCollection.Name)]
public sealed class ScreenReaderAndKeyboardTests(ChatSite site) : BrowserTest(site)
{
    /// <summary>For each batch of messages put into the list: how many, and the log's aria-live at that moment.</summary>
    private const string RecordLogInsertions = """
        window.logInsertions = [];
        document.addEventListener('DOMContentLoaded', () => {
          const log = document.querySelector('[data-testid=scroller]');
          new MutationObserver((records) => {
            const added = records.reduce((count, record) => count + record.addedNodes.length, 0);
            if (added) window.logInsertions.push(`${added}:${log.getAttribute('aria-live')}`);
          }).observe(document.querySelector('[data-testid=message-list]'), { childList: true });
        });
        """;

    [Fact]
    public async Task NewMessagesAreReadOutPolitelyByTheMessageLogButTheHistoryIsNot()
    {
        using var api = Api();
        var li = await api.JoinAsync(Room, "李雷");
        foreach (var text in new[] { "old one", "old two", "old three" })
        {
            Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, text)).Status);
        }

        var emma = await OpenAsync("Emma", prepare: context => context.AddInitScriptAsync(RecordLogInsertions));
        var log = emma.Page.GetByRole(AriaRole.Log, new() { Name = "Messages", Exact = true });
        await Expect(log.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "old three" })).ToHaveCountAsync(1);
        await Expect(log).ToHaveAttributeAsync("aria-live", "polite");
        await Expect(log.GetByTestId("notice").Filter(new() { HasText = "Emma joined" })).ToHaveCountAsync(1);

        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "a new one")).Status);
        await Expect(log.GetByRole(AriaRole.Listitem).Filter(new() { HasText = "a new one" })).ToContainTextAsync("李雷");

        // The history (李雷's join notice and his three messages; Emma's own join too if it was read with them) went in
        // while the log was silent; what arrived after the page had opened went in while it was polite.
        var insertions = await emma.Page.EvaluateAsync<string[]>("() => window.logInsertions");
        Assert.Matches("^[45]:off$", insertions[0]);
        Assert.All(insertions.Skip(1), insertion => Assert.EndsWith(":polite", insertion));
        Assert.Equal("1:polite", insertions[^1]);
        // As Chromium hands it to a screen reader: one polite log reads messages, only additions (no second region
        // reading them again); the other live regions are statuses: the connection, what scrollback loaded, and the
        // names offered after an @.
        string[] expected = ["log “Messages”: polite, additions", .. Enumerable.Repeat("status “”: polite, additions text", 3)];
        Assert.Equal(expected, await LiveRegionsAsync(emma.Page));
    }

    [Fact]
    public async Task TheFocusStaysInTheComposerAfterSendingWithEnterOrWithTheSendButton()
    {
        var emma = await OpenAsync("Emma");
        await emma.Input.FocusAsync();

        await emma.Page.Keyboard.TypeAsync("sent with Enter");
        await emma.Page.Keyboard.PressAsync("Enter");
        await Expect(emma.Message("sent with Enter")).ToBeVisibleAsync();
        Assert.True(await ComposerHasFocusAsync(emma.Page), "After Enter the focus left the composer.");

        await emma.Page.Keyboard.TypeAsync("sent with Tab and Space");
        await emma.Page.Keyboard.PressAsync("Tab");
        await Expect(emma.SendButton).ToBeFocusedAsync();
        await emma.Page.Keyboard.PressAsync("Space");
        await Expect(emma.Message("sent with Tab and Space")).ToBeVisibleAsync();
        Assert.True(await ComposerHasFocusAsync(emma.Page), "After the Send button the focus stayed on the button.");

        await emma.Page.Keyboard.TypeAsync("sent with a click");
        await emma.SendButton.ClickAsync();
        await Expect(emma.Message("sent with a click")).ToBeVisibleAsync();
        Assert.True(await ComposerHasFocusAsync(emma.Page), "After a click on Send the focus left the composer.");
        await Expect(emma.Input).ToHaveValueAsync("");
    }

    [Theory]
    [InlineData("en-US", "Online", "Live meter", "Requests / min", "Requests per minute, last 10 minutes",
        @"^Requests in each minute, oldest first\. Long poll: (\d+, ){9}[1-9]\d*\. Polling: (\d+, ){9}\d+\.$")]
    [InlineData("zh-CN", "在线", "实时统计", "每分钟请求", "近 10 分钟每分钟请求数",
        @"^每分钟请求数，从最早的一分钟起。 长轮询：(\d+, ){9}[1-9]\d*。 轮询：(\d+, ){9}\d+。$")]
    public async Task OnAPhoneTheOnlineListAndTheMeterAreReachedWithTabAndNamed(
        string locale, string online, string meter, string requestsPerMinute, string chart, string chartNumbers)
    {
        await OpenAsync("李雷");
        var person = await OpenAsync("Emma", locale, width: 360, height: 740);
        var page = person.Page;

        // Folded on a phone: Tab reaches each panel's summary, Enter opens it.
        var onlineList = page.GetByRole(AriaRole.List, new() { Name = online, Exact = true });
        await Expect(onlineList).ToBeHiddenAsync();
        await TabToAsync(page, page.Locator("summary").Filter(new() { Has = page.Locator("#online-title") }));
        await page.Keyboard.PressAsync("Enter");
        await Expect(onlineList.GetByRole(AriaRole.Listitem)).ToHaveCountAsync(2);
        await Expect(onlineList).ToContainTextAsync("李雷");
        await Expect(onlineList).ToContainTextAsync("Emma");

        var table = page.GetByRole(AriaRole.Table, new() { Name = meter, Exact = true });
        await Expect(table).ToBeHiddenAsync();
        await TabToAsync(page, page.Locator("summary#meter-title"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(table.GetByRole(AriaRole.Rowheader, new() { Name = requestsPerMinute, Exact = true })).ToBeVisibleAsync();
        var chartImage = page.GetByRole(AriaRole.Img, new() { Name = chart, Exact = true });
        await Expect(chartImage).ToHaveAccessibleDescriptionAsync(new Regex(chartNumbers));
    }

    private static Task<bool> ComposerHasFocusAsync(IPage page) =>
        page.EvaluateAsync<bool>("() => document.activeElement === document.querySelector('[data-testid=message-input]')");

    /// <summary>Presses Tab from wherever the focus is until it lands on <paramref name="target"/>, a bounded number of times.</summary>
    private static async Task TabToAsync(IPage page, ILocator target, int maxPresses = 25)
    {
        for (var press = 0; press < maxPresses; press++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await target.EvaluateAsync<bool>("node => node === document.activeElement"))
            {
                return;
            }
        }
        Assert.Fail($"{maxPresses} presses of Tab never reached {target}.");
    }

    /// <summary>The live regions in Chromium's accessibility tree (the one screen readers read), as "role “name”: live, relevant".</summary>
    private static async Task<string[]> LiveRegionsAsync(IPage page)
    {
        var cdp = await page.Context.NewCDPSessionAsync(page);
        await cdp.SendAsync("Accessibility.enable");
        var tree = await cdp.SendAsync("Accessibility.getFullAXTree")
            ?? throw new InvalidOperationException("Chromium returned no accessibility tree.");
        var regions = new List<string>();
        foreach (var node in tree.GetProperty("nodes").EnumerateArray())
        {
            if (!node.TryGetProperty("properties", out var properties))
            {
                continue;
            }
            var byName = properties.EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("value"));
            if (byName.TryGetValue("live", out var live) && live.GetProperty("value").GetString() != "off")
            {
                var name = node.TryGetProperty("name", out var n) ? n.GetProperty("value").GetString() : "";
                var relevant = byName.TryGetValue("relevant", out var r) ? r.GetProperty("value").GetString() : "";
                regions.Add($"{node.GetProperty("role").GetProperty("value").GetString()} “{name}”: {live.GetProperty("value").GetString()}, {relevant}");
            }
        }
        await cdp.DetachAsync();
        return [.. regions.Order(StringComparer.Ordinal)];
    }
}
