using System.Diagnostics;
using System.Text.RegularExpressions;
using FunctionsChat.BrowserTests.Support;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>Two people, two browser contexts, one room: what they see of each other's messages.</summary>
[Collection(ChatSiteCollection.Name)]
public sealed partial class ChattingTests(ChatSite site, ITestOutputHelper output) : BrowserTest(site)
{
    private static readonly TimeSpan Quick = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task TwoPeopleInTwoBrowsersChatBothWaysWithinTwoSeconds()
    {
        var wang = await OpenAsync("王小明", locale: "zh-CN");
        var emma = await OpenAsync("Emma");

        var there = await SendAndTimeArrivalAsync(wang, emma, "你好 Emma，听得到吗？");
        var back = await SendAndTimeArrivalAsync(emma, wang, "Loud and clear, 小明!");

        output.WriteLine($"王小明 → Emma: {there.TotalMilliseconds:F0} ms; Emma → 王小明: {back.TotalMilliseconds:F0} ms");
        Assert.True(there < Quick, $"王小明 → Emma took {there.TotalMilliseconds:F0} ms");
        Assert.True(back < Quick, $"Emma → 王小明 took {back.TotalMilliseconds:F0} ms");
        await Expect(emma.Message("你好 Emma，听得到吗？").Locator(".author")).ToHaveTextAsync("王小明");
        await Expect(wang.Message("Loud and clear, 小明!").Locator(".author")).ToHaveTextAsync("Emma");
        await Expect(wang.Messages).ToHaveCountAsync(2);
        await Expect(emma.Messages).ToHaveCountAsync(2);
    }

    [Fact]
    public async Task OwnMessagesAreSetApartFromOtherPeoples()
    {
        var wang = await OpenAsync("王小明", locale: "zh-CN");
        var emma = await OpenAsync("Emma");

        await wang.TypeAndSendAsync("我先说");
        await Expect(emma.Message("我先说")).ToBeVisibleAsync();
        await emma.TypeAndSendAsync("My turn");
        await Expect(wang.Message("My turn")).ToBeVisibleAsync();

        await Expect(wang.Message("我先说")).ToHaveClassAsync(Own());
        await Expect(wang.Message("My turn")).Not.ToHaveClassAsync(Own());
        await Expect(emma.Message("My turn")).ToHaveClassAsync(Own());
        await Expect(emma.Message("我先说")).Not.ToHaveClassAsync(Own());
    }

    [Fact]
    public async Task APageOpenedLaterShowsTheHistoryInOrder()
    {
        var wang = await OpenAsync("王小明", locale: "zh-CN");
        string[] said = ["第一条：早上好", "Second: the build is green", "第三条：下午见"];
        foreach (var text in said)
        {
            await wang.TypeAndSendAsync(text);
        }
        await Expect(wang.Messages).ToHaveCountAsync(said.Length);

        var emma = await OpenAsync("Emma");

        await Expect(emma.Messages.GetByTestId("message-text")).ToHaveTextAsync(said);
        await Expect(emma.Messages.Locator(".author")).ToHaveTextAsync(["王小明", "王小明", "王小明"]);
        await Expect(emma.Page.GetByTestId("empty")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task MarkupInAMessageOrANameShowsAsTextAndNoScriptRuns()
    {
        const string name = "<b>Mallory</b>";
        const string text = "<img src=x onerror=window.__xss=1> <script>window.__xss=2</script>";
        var mallory = await OpenAsync(name);
        var emma = await OpenAsync("Emma");

        await mallory.TypeAndSendAsync(text);

        foreach (var person in new[] { emma, mallory })
        {
            var message = person.Message(text);
            await Expect(message).ToBeVisibleAsync();
            await Expect(message.GetByTestId("message-text")).ToHaveTextAsync(text);
            await Expect(message.Locator(".author")).ToHaveTextAsync(name);
            await Expect(person.Page.GetByTestId("message-list").Locator("img, script, b")).ToHaveCountAsync(0);
            Assert.Equal("undefined", await person.Page.EvaluateAsync<string>("() => typeof window.__xss"));
        }
        await Expect(emma.OnlineMembers.Filter(new() { HasText = name })).ToHaveCountAsync(1);
    }

    [Fact]
    public async Task SwitchingToPollingStillDeliversAndTheMetersCountRequests()
    {
        var wang = await OpenAsync("王小明", locale: "zh-CN");
        var emma = await OpenAsync("Emma");
        var page = emma.Page;
        await Expect(page.GetByTestId("meter-longpoll-requests")).ToHaveTextAsync(PositiveNumber());
        await Expect(page.GetByTestId("meter-polling-requests")).ToHaveTextAsync("0");

        await page.GetByTestId("mode-polling").CheckAsync();
        await wang.TypeAndSendAsync("轮询也能收到吗？");

        // Polling reads history every 3 s: the message may wait up to one interval, plus the request itself.
        await Expect(emma.Message("轮询也能收到吗？")).ToBeVisibleAsync(new() { Timeout = 6_000 });
        await Expect(page.GetByTestId("meter-polling-requests")).ToHaveTextAsync(PositiveNumber());
        await Expect(page.GetByTestId("meter-polling-received")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("meter-polling-delay")).ToHaveTextAsync(new Regex(@"^[\d,]+ ms$"));
        await Expect(page.GetByTestId("meter-chart").Locator("rect.series-polling[height]:not([height='0'])")).Not.ToHaveCountAsync(0);
        Assert.Equal("polling", await page.EvaluateAsync<string>("() => localStorage.getItem('functionsChat.mode')"));

        await emma.TypeAndSendAsync("Yes, every 3 seconds.");
        await Expect(wang.Message("Yes, every 3 seconds.")).ToBeVisibleAsync();
    }

    private static async Task<TimeSpan> SendAndTimeArrivalAsync(Person from, Person to, string text)
    {
        await from.Input.FillAsync(text);
        var clock = Stopwatch.StartNew();
        await from.Input.PressAsync("Enter");
        await Expect(to.Message(text)).ToBeVisibleAsync(); // the caller checks the time, so a slow arrival reports it
        return clock.Elapsed;
    }

    [GeneratedRegex(@"\bown\b")]
    private static partial Regex Own();

    [GeneratedRegex(@"^[1-9]\d*$")]
    private static partial Regex PositiveNumber();
}
