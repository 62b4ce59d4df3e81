using System.Text.RegularExpressions;
using FunctionsChat.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>Who is in the room: the online list, leaving, reloading, and joining again after a 410.</summary>
[Collection(ChatSiteCollection.Name)]
public sealed class MembershipTests(ChatSite site) : BrowserTest(site)
{
    /// <summary>The page refreshes the online list every 12 s; give it one refresh and some slack.</summary>
    private const float OnlineListRefresh = 20_000;

    [Fact]
    public async Task APersonWhoLeavesDisappearsFromTheOthersOnlineList()
    {
        var emma = await OpenAsync("Emma");
        var wang = await OpenAsync("王小明", locale: "zh-CN"); // joins second, so its first list already has Emma
        await Expect(wang.OnlineMembers.Filter(new() { HasText = "Emma" })).ToHaveCountAsync(1, new() { Timeout = OnlineListRefresh });
        await Expect(wang.Page.GetByTestId("online-count")).ToHaveTextAsync("2");

        await emma.Page.GetByTestId("leave").ClickAsync();
        await Expect(emma.Page.GetByTestId("join-again")).ToBeVisibleAsync();
        await Expect(emma.Page.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "left");

        await Expect(wang.OnlineMembers.Filter(new() { HasText = "Emma" })).ToHaveCountAsync(0, new() { Timeout = OnlineListRefresh });
        await Expect(wang.Page.GetByTestId("online-count")).ToHaveTextAsync("1");
        await Expect(wang.OnlineMembers.Filter(new() { HasText = "王小明" })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task SomeoneWhoJoinsAppearsInTheOnlineListWithoutWaitingForTheTimedRefresh()
    {
        var emma = await OpenAsync("Emma");
        await Expect(emma.Page.GetByTestId("online-count")).ToHaveTextAsync("1");

        await OpenAsync("王小明", locale: "zh-CN"); // joins after Emma's page read the list

        // Before the 12 s timed refresh (Emma's page opened only moments ago): the join notice itself told her page.
        await Expect(emma.Page.GetByTestId("notice").Filter(new() { HasText = "王小明 joined" })).ToHaveCountAsync(1);
        await Expect(emma.OnlineMembers.Filter(new() { HasText = "王小明" })).ToHaveCountAsync(1, new() { Timeout = 6_000 });
        await Expect(emma.Page.GetByTestId("online-count")).ToHaveTextAsync("2");
    }

    [Fact]
    public async Task AReloadKeepsTheSameNameAndMemberAndMakesNoStranger()
    {
        var person = await OpenAsync(); // a random name from the server
        var name = (await person.NameDisplay.TextContentAsync())!;
        var before = await person.StoredMemberAsync();
        Assert.Equal(name, before.Name);
        await person.TypeAndSendAsync("before the reload");
        await Expect(person.Message("before the reload")).ToBeVisibleAsync();

        await person.Page.ReloadAsync();
        await person.WaitUntilJoinedAsync();

        await Expect(person.NameDisplay).ToHaveTextAsync(name);
        var after = await person.StoredMemberAsync();
        Assert.Equal(before.UserId, after.UserId);
        await Expect(person.OnlineMembers).ToHaveCountAsync(1);
        await Expect(person.Message("before the reload")).ToHaveClassAsync(new Regex(@"\bown\b"));
        await person.TypeAndSendAsync("after the reload");
        await Expect(person.Message("after the reload")).ToHaveClassAsync(new Regex(@"\bown\b"));
        await Expect(person.Messages.Locator(".author")).ToHaveTextAsync([name, name]);
    }

    [Fact]
    public async Task AfterA410ThePageJoinsAgainWithTheSameName()
    {
        // Chromium logs every 4xx/5xx response of a fetch as a console error. Here the 410s are the point of the test:
        // the member is removed behind the page's back, so its next send and its running long poll are answered 410.
        // Only that exact line is ignored; any other error still fails the test.
        ExpectedError = line => line.StartsWith("console.error: Failed to load resource: the server responded with a status of 410 (Gone)", StringComparison.Ordinal);
        var emma = await OpenAsync("Emma");
        var wang = await OpenAsync("王小明", locale: "zh-CN");
        var removed = await wang.StoredMemberAsync();
        using (var api = Api())
        {
            Assert.Equal(204, (await api.LeaveAsync(Room, removed.UserId, removed.Token)).Status);
        }

        await wang.TypeAndSendAsync("我又回来了");

        await Expect(wang.Message("我又回来了")).ToHaveClassAsync(new Regex(@"\bown\b"));
        await Expect(emma.Message("我又回来了").Locator(".author")).ToHaveTextAsync("王小明");
        var rejoined = await wang.StoredMemberAsync();
        Assert.NotEqual(removed.UserId, rejoined.UserId);
        Assert.Equal("王小明", rejoined.Name);
        await Expect(wang.NameDisplay).ToHaveTextAsync("王小明");

        // The new member gets messages too: delivery moved to the new member's queue.
        await emma.TypeAndSendAsync("Welcome back!");
        await Expect(wang.Message("Welcome back!")).ToBeVisibleAsync();
        await Expect(wang.Page.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "connected");
    }
}
