using FunctionsChat.BrowserTests.Support;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.BrowserTests;

/// <summary>Scrolling to the top of the log loads the page before, keeps the reader's place, and goes on to the room's start.</summary>
[Collection(ChatSiteCollection.Name)]
public sealed class ScrollbackTests(ChatSite site) : BrowserTest(site)
{
    /// <summary>Each batch put into the message list while the page runs: how many, and the log's aria-live then.</summary>
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
    public async Task TheKeyboardScrollsBackToTheFirstOf150MessagesWithoutLosingItsPlaceAndHearsOneSentencePerPage()
    {
        using var api = Api();
        // Eight senders, so the 150 messages stay within the per-member send limit.
        var senders = new List<Member>();
        for (var i = 0; i < 8; i++)
        {
            senders.Add(await api.JoinAsync(Room, $"sender{i}"));
        }
        for (var i = 1; i <= 150; i++)
        {
            Assert.Equal(201, (await api.SendMessageAsync(Room, senders[i % senders.Count].Token, $"message {i:000}")).Status);
        }

        var emma = await OpenAsync("Emma", prepare: context => context.AddInitScriptAsync(RecordLogInsertions));
        var scroller = emma.Page.GetByTestId("scroller");
        // The newest page of 100: Emma joins before she reads history, so it holds her own join notice and 052 to 150.
        await Expect(emma.Messages).ToHaveCountAsync(99);
        await Expect(emma.Messages.First).ToContainTextAsync("message 052");
        await Expect(emma.Page.GetByTestId("room-start")).ToBeHiddenAsync();

        // Keyboard only: the log takes the focus, and Home goes to its top.
        await scroller.FocusAsync();
        await emma.Page.Keyboard.PressAsync("Home");
        await Expect(emma.Messages).ToHaveCountAsync(150);
        await Expect(emma.Messages.First).ToContainTextAsync("message 001");
        await Expect(emma.Page.GetByTestId("room-start")).ToBeVisibleAsync();
        await Expect(emma.Page.GetByTestId("room-start")).ToHaveTextAsync("This is the beginning of the room");
        // The place is kept: the message that was at the top (052) is still in view, not pushed away by 51 above it.
        await Expect(emma.Message("message 052")).ToBeInViewportAsync();
        await Expect(emma.Message("message 001")).Not.ToBeInViewportAsync();
        // Announced in one polite sentence (8 joins and 51 messages), not read out message by message.
        await Expect(emma.Page.GetByTestId("log-status")).ToHaveTextAsync("Loaded 59 earlier messages. This is the beginning of the room");
        var insertions = await emma.Page.EvaluateAsync<string[]>("() => window.logInsertions");
        Assert.Contains("59:off", insertions);
        await Expect(scroller).ToHaveAttributeAsync("aria-live", "polite");

        // The room's start is reached: going to the top again reads nothing more.
        var historyReads = 0;
        emma.Page.Request += (_, request) =>
        {
            if (request.Url.Contains("/messages?", StringComparison.Ordinal) && request.Url.Contains("before=", StringComparison.Ordinal))
            {
                historyReads++;
            }
        };
        await emma.Page.Keyboard.PressAsync("End");
        await emma.Page.Keyboard.PressAsync("Home");
        await Expect(emma.Message("message 001")).ToBeInViewportAsync();
        await emma.Page.WaitForTimeoutAsync(500);
        Assert.Equal(0, historyReads);
    }
}
