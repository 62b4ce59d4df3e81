using FunctionsChat.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>Join, rename and leave notices show as quiet lines in the reader's language, live and in history.</summary>
[Collection(ChatSiteCollection.Name)]
public sealed class NoticeTests(ChatSite site) : BrowserTest(site)
{
    [Fact]
    public async Task AJoinARenameAndALeaveShowToAnOpenPageAndToOneOpenedLaterInOrderInEachReadersLanguage()
    {
        using var api = Api();
        var emma = await OpenAsync("Emma");
        await emma.WaitUntilJoinedAsync();

        var wang = await api.JoinAsync(Room, "王小明");
        var renamed = await api.RenameAsync(wang, "Emmett");
        Assert.Equal(204, (await api.LeaveAsync(Room, renamed.UserId, renamed.Token)).Status);

        var notices = emma.Page.GetByTestId("notice-text");
        await Expect(notices).ToHaveTextAsync(["Emma joined", "王小明 joined", "王小明 is now Emmett", "Emmett left"]);
        // Notices are not messages: no bubble, no author, and the message count is untouched.
        await Expect(emma.Messages).ToHaveCountAsync(0);

        var li = await OpenAsync("李雷", locale: "zh-CN");
        await Expect(li.Page.GetByTestId("notice-text")).ToHaveTextAsync(
            ["Emma 加入了房间", "王小明 加入了房间", "王小明 改名为 Emmett", "Emmett 离开了房间", "李雷 加入了房间"]);
        // Switching the language re-says every notice in place.
        await li.Page.GetByTestId("language-switch").SelectOptionAsync("en");
        await Expect(li.Page.GetByTestId("notice-text").Nth(2)).ToHaveTextAsync("王小明 is now Emmett");
    }

    [Fact]
    public async Task RenamingOnThePageShowsOneIsNowLineToTheOthers()
    {
        var emma = await OpenAsync("Emma");
        var li = await OpenAsync("李雷", locale: "zh-CN");
        await Expect(emma.Page.GetByTestId("notice-text").Filter(new() { HasText = "李雷 joined" })).ToHaveCountAsync(1);

        await li.Page.GetByTestId("change-name").ClickAsync();
        await li.Page.GetByTestId("name-input").FillAsync("Lei");
        await li.Page.GetByTestId("name-input").PressAsync("Enter");
        await Expect(li.NameDisplay).ToHaveTextAsync("Lei");

        await Expect(emma.Page.GetByTestId("notice-text").Filter(new() { HasText = "李雷 is now Lei" })).ToHaveCountAsync(1);
        await li.TypeAndSendAsync("still me");
        await Expect(emma.Message("still me")).ToHaveCountAsync(1);
        // One line for the rename: no "left" for the old name, no "joined" for the new one.
        await Expect(emma.Page.GetByTestId("notice-text")).ToHaveTextAsync(["Emma joined", "李雷 joined", "李雷 is now Lei"]);
        await Expect(emma.OnlineMembers.Filter(new() { HasText = "李雷" })).ToHaveCountAsync(0, new() { Timeout = 15_000 });
    }
}
