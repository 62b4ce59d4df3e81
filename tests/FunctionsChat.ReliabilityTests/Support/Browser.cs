using Microsoft.Playwright;

namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>One headless Debian Chromium for every test (people get their own contexts). Fails clearly when missing.</summary>
public sealed class Browser : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Chromium { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var executable = FunctionsChat.TestSupport.Chromium.ExecutablePath();
        Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
        // Faults take seconds to heal (back-off, restarts): the tests pass their own longer timeouts where they wait on one.
        Assertions.SetDefaultExpectTimeout(15_000);
        _playwright = await Playwright.CreateAsync();
        Chromium = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = FunctionsChat.TestSupport.Chromium.LaunchArgs,
        });
    }

    public async Task DisposeAsync()
    {
        if (Chromium is not null)
        {
            await Chromium.CloseAsync();
        }
        _playwright?.Dispose();
    }
}
