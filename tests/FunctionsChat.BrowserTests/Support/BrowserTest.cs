using Microsoft.Playwright;

namespace FunctionsChat.BrowserTests.Support;

/// <summary>
/// Base of every browser test: a room of its own, people opened through <see cref="OpenAsync"/>, and at the end a check
/// that no page logged a console error or threw an uncaught error (a failure there fails the test).
/// </summary>
public abstract class BrowserTest(ChatSite site) : IAsyncLifetime
{
    private readonly List<Person> _people = [];

    protected ChatSite Site => site;

    protected string Room { get; init; } = Rooms.New("web");

    /// <summary>Console lines a test expects and may ignore; each test that sets one says why.</summary>
    protected Func<string, bool> ExpectedError { get; set; } = _ => false;

    protected async Task<Person> OpenAsync(
        string? name = null, string locale = "en-US", int width = 1280, int height = 800, Func<IBrowserContext, Task>? prepare = null)
    {
        var person = await Person.OpenAsync(site.Browser, site.BaseAddress, Room, name, locale, width, height, prepare);
        _people.Add(person);
        return person;
    }

    protected ChatApi Api() => new(site.BaseAddress, TimeSpan.FromSeconds(30));

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        // Read before closing: a page torn down mid-request may log noise that says nothing about the page.
        var errors = _people.SelectMany(p => p.Errors).Where(e => !ExpectedError(e)).ToList();
        foreach (var person in _people)
        {
            try
            {
                await person.CloseAsync();
            }
            catch (PlaywrightException)
            {
                // Already closed by the test.
            }
        }
        Assert.True(errors.Count == 0, "The page logged errors:\n" + string.Join("\n", errors));
    }
}
