using FunctionsChat.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>While the tab is hidden, the title counts the messages from others; shown again, it clears.</summary>
[Collection(ChatSiteCollection.Name)]
public sealed class UnreadCountTests(ChatSite site) : BrowserTest(site)
{
    /// <summary>
    /// Headless Chromium keeps every tab visible, so the test switches what the page sees: document.hidden and
    /// visibilityState, and the visibilitychange event a real tab switch fires.
    /// </summary>
    private static Task SetHiddenAsync(Person person, bool hidden) => person.Page.EvaluateAsync("""
        hidden => {
          Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
          Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => hidden ? 'hidden' : 'visible' });
          document.dispatchEvent(new Event('visibilitychange'));
        }
        """, hidden);

    [Fact]
    public async Task TheTitleCountsMessagesFromOthersWhileTheTabIsHiddenButNotNoticesOrOwnAndClearsWhenShown()
    {
        using var api = Api();
        var li = await api.JoinAsync(Room, "李雷");
        var emma = await OpenAsync("Emma");
        await emma.WaitUntilJoinedAsync();
        var title = $"#{Room} · FunctionsChat";
        await Expect(emma.Page).ToHaveTitleAsync(title);

        await SetHiddenAsync(emma, true);
        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "one")).Status);
        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "two")).Status);
        await api.JoinAsync(Room, "Bob"); // a notice: not counted
        var own = await emma.StoredMemberAsync();
        Assert.Equal(201, (await api.SendMessageAsync(Room, own.Token, "my own, from another device")).Status);
        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "three")).Status);

        await Expect(emma.Message("three")).ToHaveCountAsync(1);
        await Expect(emma.Page.GetByTestId("notice").Filter(new() { HasText = "Bob joined" })).ToHaveCountAsync(1);
        await Expect(emma.Page).ToHaveTitleAsync($"(3) {title}");
        Assert.EndsWith("favicon-unread.svg", await emma.Page.Locator("link[rel=icon]").GetAttributeAsync("href"));

        await SetHiddenAsync(emma, false);
        await Expect(emma.Page).ToHaveTitleAsync(title);
        Assert.Equal("favicon.svg", await emma.Page.Locator("link[rel=icon]").GetAttributeAsync("href"));

        // Seen while shown: nothing is counted.
        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "four")).Status);
        await Expect(emma.Message("four")).ToHaveCountAsync(1);
        await Expect(emma.Page).ToHaveTitleAsync(title);
    }

    /// <summary>The browser's Notification, replaced by one that records what would have been shown.</summary>
    private const string RecordNotifications = """
        window.shownNotifications = [];
        window.Notification = class {
          static permission = 'default';
          static async requestPermission() { window.Notification.permission = 'granted'; return 'granted'; }
          constructor(title, options) { window.shownNotifications.push(`${title} | ${options.body}`); }
        };
        """;

    [Fact]
    public async Task AMentionWhileHiddenShowsANotificationOnlyOnceAskedForWithOneClick()
    {
        using var api = Api();
        var li = await api.JoinAsync(Room, "李雷");
        var emma = await OpenAsync("Emma", prepare: context => context.AddInitScriptAsync(RecordNotifications));
        await emma.WaitUntilJoinedAsync();
        var alerts = emma.Page.GetByTestId("mention-alerts");
        await Expect(alerts).ToHaveAttributeAsync("aria-pressed", "false");

        // Off by default: a mention while hidden only counts.
        await SetHiddenAsync(emma, true);
        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "@Emma first")).Status);
        await Expect(emma.Page).ToHaveTitleAsync($"(1) #{Room} · FunctionsChat");
        await SetHiddenAsync(emma, false);

        await alerts.ClickAsync();
        await Expect(alerts).ToHaveAttributeAsync("aria-pressed", "true");
        await SetHiddenAsync(emma, true);
        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "no mention here")).Status);
        Assert.Equal(201, (await api.SendMessageAsync(Room, li.Token, "@Emma second")).Status);
        await Expect(emma.Page).ToHaveTitleAsync($"(2) #{Room} · FunctionsChat");

        Assert.Equal([$"#{Room} | 李雷: @Emma second"], await emma.Page.EvaluateAsync<string[]>("() => window.shownNotifications"));
    }
}
