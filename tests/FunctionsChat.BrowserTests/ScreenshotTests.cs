using FunctionsChat.BrowserTests.Support;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>
/// Takes the README's pictures (docs/screenshots/chat-desktop.png, chat-mobile.png, and notices-links-mentions-en.png
/// and -zh.png); refresh them with
/// <c>CHAT_UPDATE_SCREENSHOTS=1 dotnet test tests/FunctionsChat.BrowserTests --filter Screenshots</c>.
/// </summary>
[Collection(ChatSiteCollection.Name)]
public sealed class ScreenshotTests : BrowserTest
{
    public ScreenshotTests(ChatSite site)
        : base(site)
    {
        Room = Rooms.New("launch", randomChars: 4); // shorter than the other tests' rooms: it shows in the picture
    }

    [Fact]
    public async Task ATwoPersonChatIsSavedAsDesktopAndPhoneScreenshots()
    {
        // Emma first, so 王小明's first online list already shows both of them.
        var emma = await OpenAsync("Emma", locale: "en-US", width: 360, height: 740);
        var wang = await OpenAsync("王小明", locale: "zh-CN", width: 1280, height: 800);

        (Person From, string Text)[] conversation =
        [
            (wang, "大家好！下午三点的发布会还按时开吗？"),
            (emma, "Hi 小明! Yes, still at 3 pm. I'll share the slides in a minute."),
            (wang, "太好了，谢谢。演示环境我已经准备好了。"),
            (emma, "Great. The demo shows long polling vs polling every 3 s, with the live meter."),
            (wang, "长轮询的请求数少多了，延迟也低。\n会后一起吃饭吧？"),
            (emma, "Sounds good — see you at 3!"),
        ];
        foreach (var (from, text) in conversation)
        {
            await from.TypeAndSendAsync(text);
            await Expect(emma.Message(text)).ToBeVisibleAsync();
            await Expect(wang.Message(text)).ToBeVisibleAsync();
        }
        await Expect(wang.OnlineMembers).ToHaveCountAsync(2);
        await Expect(emma.Page.GetByTestId("online-count")).ToHaveTextAsync("2");
        Assert.True(
            await emma.Page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= innerWidth"),
            "At 360 px the page scrolls sideways.");
        await Expect(wang.Page.GetByTestId("meter-longpoll-received")).ToHaveTextAsync("3");

        Directory.CreateDirectory(RepoFolders.Screenshots);
        foreach (var (person, file) in new[] { (wang, "chat-desktop.png"), (emma, "chat-mobile.png") })
        {
            await person.Input.BlurAsync();
            await Expect(person.Page.GetByTestId("new-messages")).ToBeHiddenAsync();
            var path = Path.Combine(RepoFolders.Screenshots, file);
            await person.Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, Animations = ScreenshotAnimations.Disabled });
            Assert.True(new FileInfo(path).Length > 10_000, $"{path} looks empty.");
        }
    }

    [Fact]
    public async Task NoticesALinkAndAMentionAreSavedInEnglishAndInChinese()
    {
        using var api = Api();
        var wang = await OpenAsync("王小明", locale: "zh-CN", width: 1280, height: 800);
        await wang.WaitUntilJoinedAsync();
        var emma = await OpenAsync("Emma", locale: "en-US", width: 1280, height: 800);
        await Expect(wang.OnlineMembers).ToHaveCountAsync(2, new() { Timeout = 15_000 });
        await Expect(emma.OnlineMembers).ToHaveCountAsync(2, new() { Timeout = 15_000 });

        await wang.TypeAndSendAsync("@Emma 发布会的幻灯片在这里：https://example.com/launch/slides。");
        await emma.TypeAndSendAsync("Thanks @王小明! The recording will be at https://example.com/launch/video.");
        var li = await api.JoinAsync(Room, "李雷");
        var lei = await api.RenameAsync(li, "Lei");
        Assert.Equal(201, (await api.SendMessageAsync(Room, lei.Token, "Sorry, wrong room — see you at 3!")).Status);
        Assert.Equal(204, (await api.LeaveAsync(Room, lei.UserId, lei.Token)).Status);

        await Expect(emma.Page.GetByTestId("notice-text").Last).ToHaveTextAsync("Lei left");
        await Expect(wang.Page.GetByTestId("notice-text").Last).ToHaveTextAsync("Lei 离开了房间");
        await Expect(emma.Page.Locator(".mentions-me")).ToHaveCountAsync(1);
        await Expect(wang.Page.Locator(".mentions-me")).ToHaveCountAsync(1);
        await Expect(emma.Page.Locator("a.link")).ToHaveCountAsync(2);

        Directory.CreateDirectory(RepoFolders.Screenshots);
        foreach (var (person, file) in new[] { (emma, "notices-links-mentions-en.png"), (wang, "notices-links-mentions-zh.png") })
        {
            await person.Input.BlurAsync();
            await Expect(person.Page.GetByTestId("new-messages")).ToBeHiddenAsync();
            var path = Path.Combine(RepoFolders.Screenshots, file);
            await person.Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, Animations = ScreenshotAnimations.Disabled });
            Assert.True(new FileInfo(path).Length > 10_000, $"{path} looks empty.");
        }
    }
}
