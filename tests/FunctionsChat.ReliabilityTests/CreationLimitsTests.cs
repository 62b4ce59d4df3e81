using System.Security.Cryptography;
using Microsoft.Playwright;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace FunctionsChat.ReliabilityTests;

/// <summary>
/// What an anonymous caller can create, through the real host and the page: a full room says so on the page and lets
/// the person in once there is room, and rotating the signing key keeps pages signed in until the old key is dropped,
/// after which they join again under the same name by themselves. The unit tests cover the rules themselves.
/// </summary>
[Collection(ReliabilityCollection.Name)]
public sealed class CreationLimitsTests(Browser browser, ITestOutputHelper output)
{
    [Fact]
    public async Task APageOpenedOnAFullRoomSaysTheRoomIsFullAndJoinsOnceSomeoneLeaves()
    {
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["Chat__MaxMembersPerRoom"] = "2";
        await using var server = await DevServerProcess.StartHealthyAsync(environment);
        using var http = new ChatApi(server.BaseAddress, TimeSpan.FromSeconds(30));
        var room = Rooms.New("full");
        await http.JoinAsync(room, "first");
        var second = await http.JoinAsync(room, "second");
        var context = await browser.Chromium.NewContextAsync(new BrowserNewContextOptions { BaseURL = server.BaseAddress.ToString(), Locale = "en-US" });
        try
        {
            var page = await context.NewPageAsync();
            var errors = new List<string>();
            page.PageError += (_, error) => errors.Add(error);
            await page.GotoAsync($"/?room={room}");
            var state = page.GetByTestId("connection-state");

            await Expect(state).ToHaveAttributeAsync("data-state", "full");
            await Expect(state).ToContainTextAsync("Room is full");
            // A message typed meanwhile cannot be sent without a membership: the page says why.
            await page.GetByTestId("message-input").FillAsync("let me in");
            await page.GetByTestId("message-input").PressAsync("Enter");
            await Expect(page.GetByTestId("error")).ToContainTextAsync("This room is full");

            Assert.Equal(204, (await http.LeaveAsync(room, second.UserId, second.Token)).Status);

            // The page retries on its back-off (at most 30 s apart) and gets the free place.
            await Expect(state).ToHaveAttributeAsync("data-state", "connected", new() { Timeout = 60_000 });
            await Expect(page.Locator("[data-testid=online-member].me")).ToHaveCountAsync(1);
            var members = (await http.MembersAsync(room)).Body.GetProperty("members").GetArrayLength();
            Assert.Equal(2, members);
            Assert.Empty(errors);
        }
        finally
        {
            await context.CloseAsync();
        }
    }

    [Fact]
    public async Task RotatingTheSigningKeyKeepsThePageSignedInAndDroppingTheOldKeyRejoinsUnderTheSameName()
    {
        var oldKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var newKey = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var environment = ChatEnvironment.OnSharedAzurite();
        environment["Chat__SigningKey"] = oldKey;
        var server = await DevServerProcess.StartHealthyAsync(environment);
        var port = server.BaseAddress.Port;
        var room = Rooms.New("rotate");
        var traffic = new Traffic();
        Person? alice = null;
        try
        {
            alice = await Person.OpenAsync(browser.Chromium, server.BaseAddress, room, "Alice");
            traffic.Watch(alice, "Alice");
            await alice.TypeAndSendAsync("signed with the old key");
            await alice.WaitUntilShownAsync(["signed with the old key"], TimeSpan.FromSeconds(30), "Alice");
            var before = await alice.StoredMemberAsync();

            // Step 1 of the rotation: the new key signs, the old one is still accepted.
            await server.DisposeAsync();
            environment["Chat__SigningKey"] = newKey;
            environment["Chat__PreviousSigningKeys__0"] = oldKey;
            server = await DevServerProcess.StartHealthyAsync(environment, port);
            var rotatedAt = DateTime.UtcNow;
            await alice.TypeAndSendAsync("after the rotation");
            await alice.WaitUntilShownAsync(["after the rotation"], TimeSpan.FromSeconds(60), "Alice");
            var afterRotation = await alice.StoredMemberAsync();
            Assert.Equal(before, afterRotation);
            var sinceRotation = traffic.Between(rotatedAt, DateTime.UtcNow);
            Assert.DoesNotContain(sinceRotation, s => s.Status == 401);
            Assert.DoesNotContain(sinceRotation, s => s.Method == "POST" && Traffic.Route(s.Path) == "/api/rooms/{room}/members");

            // Step 2: the old key is dropped (the deployment leaves its setting empty). Alice's token is refused.
            await server.DisposeAsync();
            environment["Chat__PreviousSigningKeys__0"] = "";
            server = await DevServerProcess.StartHealthyAsync(environment, port);
            var droppedAt = DateTime.UtcNow;
            await alice.TypeAndSendAsync("after the old key was dropped");
            await alice.WaitUntilShownAsync(["after the old key was dropped"], TimeSpan.FromSeconds(60), "Alice");
            var rejoined = await alice.StoredMemberAsync();

            Assert.Equal("Alice", rejoined.Name);
            Assert.NotEqual(before.UserId, rejoined.UserId);
            await Expect(alice.NameDisplay).ToHaveTextAsync("Alice");
            var sinceDrop = traffic.Between(droppedAt, DateTime.UtcNow);
            Assert.Contains(sinceDrop, s => s.Status == 401);
            Assert.Contains(sinceDrop, s => s.Method == "POST" && Traffic.Route(s.Path) == "/api/rooms/{room}/members" && s.Status == 201);
            using var http = new ChatApi(server.BaseAddress);
            var stored = await http.AllMessagesAsync(room);
            Assert.Equal(["signed with the old key", "after the rotation", "after the old key was dropped"],
                stored.Select(m => m.GetProperty("text").GetString()!));
            Assert.All(stored, m => Assert.Equal("Alice", m.GetProperty("name").GetString()));
            // Her earlier messages stay marked as her own after the rejoin.
            await Expect(alice.Page.Locator("[data-testid=message-list] [data-testid=message].own")).ToHaveCountAsync(3);
            output.WriteLine($"Responses after the drop: {Traffic.Summary(sinceDrop)}");
            ChatPage.AssertNoScriptErrors(alice);
        }
        finally
        {
            if (alice is not null)
            {
                await alice.CloseAsync();
            }
            await server.DisposeAsync();
        }
    }
}
