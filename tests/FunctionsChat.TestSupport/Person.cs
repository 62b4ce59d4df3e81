using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.TestSupport;

/// <summary>
/// One person: a browser context of their own (own localStorage, own member) with the chat page open in a room.
/// Console errors and uncaught page errors are collected for the test to check at its end.
/// </summary>
public sealed class Person
{
    private readonly List<string> _errors = [];

    private Person(IBrowserContext context, IPage page, string room)
    {
        Context = context;
        Page = page;
        Room = room;
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                Record($"console.error: {message.Text} (at {message.Location})");
            }
        };
        page.PageError += (_, error) => Record($"uncaught: {error}");
    }

    public IBrowserContext Context { get; }

    public IPage Page { get; }

    public string Room { get; }

    public IReadOnlyList<string> Errors
    {
        get
        {
            lock (_errors)
            {
                return [.. _errors];
            }
        }
    }

    public ILocator Input => Page.GetByTestId("message-input");

    public ILocator SendButton => Page.GetByTestId("send-button");

    public ILocator Counter => Page.GetByTestId("char-counter");

    /// <summary>Delivered messages (not the pending ones in the outbox).</summary>
    public ILocator Messages => Page.GetByTestId("message-list").GetByTestId("message");

    public ILocator Pending => Page.GetByTestId("pending-message");

    public ILocator OnlineMembers => Page.GetByTestId("online-member");

    public ILocator NameDisplay => Page.GetByTestId("name-display");

    public ILocator Message(string text) =>
        Messages.Filter(new() { Has = Page.GetByTestId("message-text").GetByText(text, new() { Exact = true }) });

    /// <summary>
    /// Opens the page in a new context. <paramref name="name"/> is put in localStorage where the page keeps a chosen
    /// name, as if the person had picked it earlier; without one the server gives a random (Chinese) name.
    /// <paramref name="prepare"/> runs on the new context before the page loads (say, to route its requests).
    /// </summary>
    public static async Task<Person> OpenAsync(
        IBrowser browser, Uri baseAddress, string room, string? name = null, string locale = "en-US", int width = 1280, int height = 800,
        Func<IBrowserContext, Task>? prepare = null)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = baseAddress.ToString(),
            Locale = locale,
            ViewportSize = new ViewportSize { Width = width, Height = height },
            IsMobile = width < 600,
            HasTouch = width < 600,
            TimezoneId = "Asia/Shanghai",
        });
        context.SetDefaultTimeout(15_000);
        if (name is not null)
        {
            // Only where the page has no name yet, so a reload or a rename is not overwritten.
            await context.AddInitScriptAsync($$"""
                if (location.protocol.startsWith('http') && !localStorage.getItem('functionsChat.name'))
                  localStorage.setItem('functionsChat.name', {{JsonSerializer.Serialize(name)}});
                """);
        }
        if (prepare is not null)
        {
            await prepare(context);
        }
        var page = await context.NewPageAsync();
        var person = new Person(context, page, room);
        await page.GotoAsync($"/?room={room}");
        await person.WaitUntilJoinedAsync();
        return person;
    }

    /// <summary>
    /// Joined (the online list marks this person as "me", which the page renders right after its join returns) and
    /// delivering (the connection indicator says connected). From here on a message sent to the room reaches them.
    /// </summary>
    public async Task WaitUntilJoinedAsync()
    {
        await Expect(Page.Locator("[data-testid=online-member].me")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("connection-state")).ToHaveAttributeAsync("data-state", "connected");
    }

    /// <summary>Puts the text in the box and presses Enter.</summary>
    public async Task TypeAndSendAsync(string text)
    {
        await Input.FillAsync(text);
        await Input.PressAsync("Enter");
    }

    /// <summary>The membership the page keeps in localStorage for this room: userId, name and token.</summary>
    public async Task<StoredMember> StoredMemberAsync()
    {
        var json = await Page.EvaluateAsync<string?>("room => localStorage.getItem('functionsChat.session.' + room)", Room)
            ?? throw new InvalidOperationException("The page keeps no membership in localStorage.");
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new StoredMember(root.GetProperty("userId").GetString()!, root.GetProperty("name").GetString()!, root.GetProperty("token").GetString()!);
    }

    public Task CloseAsync() => Context.CloseAsync();

    private void Record(string error)
    {
        lock (_errors)
        {
            _errors.Add(error);
        }
    }
}

public sealed record StoredMember(string UserId, string Name, string Token);
