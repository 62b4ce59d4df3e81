using Microsoft.Playwright;

namespace FunctionsChat.BrowserTests.Support;

/// <summary>
/// One DevServer (on the shared Azurite) serving the page and the API, and one headless Chromium, for every test in
/// the collection. Each test opens its own browser contexts (one per person) in its own room.
/// </summary>
public sealed class ChatSite : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public DevServerProcess Server { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    public Uri BaseAddress => Server.BaseAddress;

    public async Task InitializeAsync()
    {
        // Checked first, so a missing browser fails at once with its own message instead of after a DevServer start.
        var chromium = Chromium.ExecutablePath();
        // The driver (node + the playwright package) comes with the NuGet package in bin/.playwright; it must never
        // try to fetch a browser of its own.
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");

        // Playwright's default of 5 s is tight on a busy 2-core machine; tests that promise a time say so themselves.
        Assertions.SetDefaultExpectTimeout(10_000);

        Server = await DevServerProcess.StartHealthyAsync(ChatEnvironment.OnSharedAzurite().WithRoomNotices());
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            Args = Chromium.LaunchArgs,
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }
        _playwright?.Dispose();
        if (Server is not null)
        {
            await Server.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class ChatSiteCollection : ICollectionFixture<ChatSite>
{
    public const string Name = "Chat page in Chromium on one DevServer";
}
