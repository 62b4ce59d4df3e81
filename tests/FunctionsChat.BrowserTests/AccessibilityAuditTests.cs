using System.Text;
using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using FunctionsChat.BrowserTests.Support;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>
/// axe-core's WCAG 2.1 A and AA rules over the whole page while two people chat: desktop and phone widths, Chinese and
/// English, light and dark colours, side panels folded and open, with a message still sending and a draft in the box.
/// No rule is turned off and nothing is excluded.
/// </summary>
[Collection(ChatSiteCollection.Name)]
public sealed class AccessibilityAuditTests(ChatSite site, ITestOutputHelper output) : BrowserTest(site)
{
    private static readonly string[] WcagTags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

    /// <summary>Not WCAG criteria, but where landmarks are checked (content outside a landmark, unique names).</summary>
    private const string BestPracticeTag = "best-practice";

    [Theory]
    [InlineData(1280, 800, "en-US")]
    [InlineData(1280, 800, "zh-CN")]
    [InlineData(360, 740, "en-US")]
    [InlineData(360, 740, "zh-CN")]
    public async Task AxeFindsNoWcag21AaViolationsOnAPageWithAConversation(int width, int height, string locale)
    {
        var other = await OpenAsync(locale == "zh-CN" ? "Emma" : "王小明");
        var person = await OpenAsync(locale == "zh-CN" ? "王小明" : "Emma", locale, width, height);
        await Expect(person.OnlineMembers).ToHaveCountAsync(2);
        foreach (var (from, text) in new[] { (other, "你好！Hello from the other side."), (person, "Hi! 收到了。") })
        {
            await from.TypeAndSendAsync(text);
            await Expect(person.Message(text)).ToBeVisibleAsync();
        }
        await Expect(person.Page.Locator("html")).ToHaveAttributeAsync("lang", locale == "zh-CN" ? "zh-CN" : "en");

        // One message still on its way (its POST held back), and a draft in the box, which enables the Send button.
        var release = new TaskCompletionSource();
        await person.Page.RouteAsync("**/api/rooms/*/messages", async route =>
        {
            if (route.Request.Method == "POST")
            {
                await release.Task;
            }
            await route.FallbackAsync();
        });
        await person.TypeAndSendAsync("Still sending… 发送中");
        await Expect(person.Pending).ToHaveCountAsync(1);
        await person.Input.FillAsync("A draft 草稿");
        await Expect(person.SendButton).ToBeEnabledAsync();
        await person.Input.BlurAsync();

        var report = new StringBuilder();
        var violations = 0;
        foreach (var panels in new[] { "as opened", "open" })
        {
            if (panels == "open")
            {
                // Phones open with the side panels folded; what they hold must pass too.
                var folded = person.Page.Locator("details:not([open]) > summary");
                while (await folded.CountAsync() > 0)
                {
                    await folded.First.ClickAsync();
                }
            }
            foreach (var scheme in new[] { ColorScheme.Light, ColorScheme.Dark })
            {
                await person.Page.EmulateMediaAsync(new() { ColorScheme = scheme });
                var state = $"{width} px, {locale}, {scheme}, panels {panels}";
                violations += await AuditAsync(person.Page, state, report);
            }
        }

        release.SetResult();
        await Expect(person.Message("Still sending… 发送中")).ToBeVisibleAsync();

        output.WriteLine(report.ToString());
        Assert.True(violations == 0, "axe found violations:\n" + report);
    }

    /// <summary>Runs axe on the page as it is now, writes what it found to the report, returns the violated rules' count.</summary>
    private static async Task<int> AuditAsync(IPage page, string state, StringBuilder report)
    {
        var result = await page.RunAxe(new AxeRunOptions
        {
            RunOnly = new RunOnlyOptions { Type = "tag", Values = [.. WcagTags, BestPracticeTag] },
        });
        report.AppendLine($"{state}: axe-core {result.TestEngine.Version}");
        foreach (var (group, inGroup) in new (string, Func<AxeResultItem, bool>)[]
        {
            ("WCAG 2.1 A/AA", rule => rule.Tags.Intersect(WcagTags).Any()),
            ("best practices", rule => !rule.Tags.Intersect(WcagTags).Any()),
        })
        {
            string[] Ids(AxeResultItem[] rules) => [.. rules.Where(inGroup).Select(rule => rule.Id)];
            var (passed, incomplete, inapplicable, violated) = (Ids(result.Passes), Ids(result.Incomplete), Ids(result.Inapplicable), Ids(result.Violations));
            report.AppendLine(
                $"  {group}: {passed.Concat(incomplete).Concat(inapplicable).Concat(violated).Distinct().Count()} rules run, " +
                $"{passed.Length} passed, {incomplete.Length} incomplete ({string.Join(", ", incomplete)}), " +
                $"{inapplicable.Length} inapplicable, {violated.Length} violated ({string.Join(", ", violated)})");
        }
        foreach (var (kind, rule) in result.Violations.Select(r => ("violation", r)).Concat(result.Incomplete.Select(r => ("to review", r))))
        {
            report.AppendLine($"  {kind} {rule.Id} ({rule.Impact}): {rule.Help}");
            foreach (var node in rule.Nodes)
            {
                var why = node.Any.Concat(node.All).Concat(node.None).Select(check => check.Message);
                report.AppendLine($"    {node.Target}: {string.Join("; ", why)}");
                report.AppendLine($"      {node.Html}");
            }
        }
        return result.Violations.Length;
    }
}
