using System.Text.Json;
using FunctionsChat.Messages;
using FunctionsChat.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsChat.Tests.Functions;

public sealed class SendingTests
{
    private readonly ChatTestApp app = new();

    [Fact]
    public async Task SendingStoresTheMessageAndReturnsItWithServerIdAndTime()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        app.Clock.Advance(TimeSpan.FromSeconds(3));

        var response = await app.SendTextAsync(alice, "  hello  ");

        Assert.Equal(201, response.Status);
        var message = response.Json.RootElement;
        Assert.Equal("hello", message.GetProperty("text").GetString());
        Assert.Equal("lobby", message.GetProperty("room").GetString());
        Assert.Equal(alice.UserId, message.GetProperty("userId").GetString());
        Assert.Equal("Alice", message.GetProperty("name").GetString());
        Assert.Equal("2026-11-26T08:00:03.0000000Z", message.GetProperty("sentAt").GetString());
        var stored = await app.History.QueryAsync("lobby", new(null, null, 10), default);
        Assert.Equal(message.GetProperty("id").GetString(), Assert.Single(stored).Id);
    }

    [Fact]
    public async Task SendingPutsTheMessageOnEveryMembersQueueIncludingTheSender()
    {
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");
        var bob = await app.JoinAsMemberAsync("lobby", "Bob");
        var elsewhere = await app.JoinAsMemberAsync("other", "Carol");

        await app.SendTextAsync(alice, "hi all");

        Assert.Equal(["hi all"], (await app.PollAsync("lobby", alice.Token)).MessageTexts);
        Assert.Equal(["hi all"], (await app.PollAsync("lobby", bob.Token)).MessageTexts);
        var carolsPoll = app.PollAsync("other", elsewhere.Token, "timeout=1");
        Assert.Empty((await app.AdvanceUntilDoneAsync(carolsPoll, TimeSpan.FromMilliseconds(500))).Messages);
    }

    [Fact]
    public async Task SendingSkipsMembersThatHaveGoneSilent()
    {
        var silent = await app.JoinAsMemberAsync("lobby", "Silent");
        app.Clock.Advance(TimeSpan.FromSeconds(121));
        var alice = await app.JoinAsMemberAsync("lobby", "Alice");

        await app.SendTextAsync(alice, "anyone?");

        var silentQueue = (await app.Members.GetAsync("lobby", silent.UserId, default))!.QueueName;
        Assert.Empty(await app.Inboxes.ReceiveAsync(silentQueue, 32, default) ?? []);
    }

    [Fact]
    public async Task TheSameClientMessageIdReturnsTheFirstMessageAndStoresNothingNew()
    {
        var alice = await app.JoinAsMemberAsync("lobby");

        var first = await app.SendTextAsync(alice, "once", "c-1");
        var again = await app.SendTextAsync(alice, "once", "c-1");

        Assert.Equal(201, first.Status);
        Assert.Equal(200, again.Status);
        Assert.Equal(first.Json.RootElement.GetProperty("id").GetString(), again.Json.RootElement.GetProperty("id").GetString());
        Assert.Single(await app.History.QueryAsync("lobby", new(null, null, 10), default));
        Assert.Equal(["once"], (await app.PollAsync("lobby", alice.Token)).MessageTexts);
    }

    [Fact]
    public async Task ARepeatedSendWhoseFirstFanOutWasCutShortReachesEveryMember()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        // The first attempt was stored and its instance was lost before any put: in history, in nobody's inbox.
        var (id, sentAt) = app.Services.GetRequiredService<MessageIds>().Next();
        var first = new ChatMessage(id, "lobby", alice.UserId, alice.Name, "once", sentAt);
        await app.History.AppendAsync(first, SendMessage.DedupeKey(alice.UserId, "c-1"), default);

        var again = await app.SendTextAsync(alice, "once", "c-1");
        var thirdTime = await app.SendTextAsync(alice, "once", "c-1");

        Assert.Equal(200, again.Status);
        Assert.Equal(id, again.Json.RootElement.GetProperty("id").GetString());
        Assert.Equal(200, thirdTime.Status);
        Assert.Equal(["once"], (await app.PollAsync("lobby", bob.Token, "timeout=1")).MessageTexts);
        Assert.Single(await app.History.QueryAsync("lobby", new(null, null, 10), default));
        // The third attempt found the fan-out marked done: Bob's inbox got one copy, not two.
        Assert.Empty((await app.AdvanceUntilDoneAsync(app.PollAsync("lobby", bob.Token, "timeout=1"), TimeSpan.FromMilliseconds(250))).Messages);
    }

    [Fact]
    public async Task TheSameClientMessageIdFromAnotherMemberIsANewMessage()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");

        Assert.Equal(201, (await app.SendTextAsync(alice, "a", "same")).Status);
        Assert.Equal(201, (await app.SendTextAsync(bob, "b", "same")).Status);

        Assert.Equal(2, (await app.History.QueryAsync("lobby", new(null, null, 10), default)).Count);
    }

    [Theory]
    [InlineData("""{ "text": "" }""")]
    [InlineData("""{ "text": "   \n\t " }""")]
    [InlineData("""{ }""")]
    [InlineData("""{ "text": null }""")]
    [InlineData("""{ "text": 12 }""")]
    [InlineData("""{ "text": "hi", "clientMessageId": 5 }""")]
    [InlineData("""{ "text": "hi", "clientMessageId": "" }""")]
    [InlineData("""{ "text": "unterminated""")]
    [InlineData("""null""")]
    [InlineData("")]
    public async Task SendingEmptyOrMalformedInputReturnsProblemDetails(string body)
    {
        var alice = await app.JoinAsMemberAsync("lobby");

        (await app.SendAsync("lobby", alice.Token, body)).AssertProblem(400);

        Assert.Empty(await app.History.QueryAsync("lobby", new(null, null, 10), default));
    }

    [Fact]
    public async Task TwoThousandCharactersAreAcceptedAndOneMoreIsRefused()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var emoji = string.Concat(Enumerable.Repeat("😀", 2000));

        // Raw UTF-8 bodies: escaped as \uXXXX pairs, 2000 emoji would exceed the 16 KiB body limit first.
        Assert.Equal(201, (await app.SendAsync("lobby", alice.Token, $$"""{ "text": "{{emoji}}" }""")).Status);
        (await app.SendAsync("lobby", alice.Token, $$"""{ "text": "{{emoji}}x" }""")).AssertProblem(400);
    }

    [Fact]
    public async Task AClientMessageIdIsCountedInCharactersLikeTheText()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var hundredKeys = string.Concat(Enumerable.Repeat("🔑", 100)); // 100 characters, 200 UTF-16 units

        Assert.Equal(201, (await app.SendTextAsync(alice, "hi", hundredKeys)).Status);
        (await app.SendTextAsync(alice, "hi", hundredKeys + "k")).AssertProblem(400);
    }

    [Fact]
    public async Task ABodyOver16KiBIsRefusedWith413EvenWithoutAContentLength()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var body = JsonSerializer.Serialize(new { text = new string('x', 17_000) });

        var withLength = await app.SendAsync("lobby", alice.Token, body);
        var chunked = await ChatTestApp.RunAsync(
            r => app.Function<Messages.SendMessage>().Run(r, "lobby", default),
            ChatTestApp.Request("POST", body, alice.Token, sendContentLength: false));

        withLength.AssertProblem(413);
        chunked.AssertProblem(413);
    }

    [Fact]
    public async Task MoreThanTheLimitOfSendsInTenSecondsReturns429WithRetryAfter()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(201, (await app.SendTextAsync(alice, $"m{i}")).Status);
        }

        var refused = await app.SendTextAsync(alice, "one too many");
        refused.AssertProblem(429);
        Assert.Equal("10", refused.Headers.RetryAfter.ToString());

        app.Clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(201, (await app.SendTextAsync(alice, "later")).Status);
    }

    [Fact]
    public async Task TheSendLimitComesFromSettings()
    {
        var strict = new ChatTestApp(new Dictionary<string, string?> { ["Chat:SendLimitPer10Seconds"] = "2" });
        var alice = await strict.JoinAsMemberAsync("lobby");

        await strict.SendTextAsync(alice, "1");
        await strict.SendTextAsync(alice, "2");

        (await strict.SendTextAsync(alice, "3")).AssertProblem(429);
    }

    [Fact]
    public async Task SendingWhileStorageIsDownReturns503AndKeepsWhatWasStored()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        await app.SendTextAsync(alice, "before");
        app.Outage.IsDown = true;

        (await app.SendTextAsync(alice, "during")).AssertProblem(503);

        app.Outage.IsDown = false;
        Assert.Equal(["before"], (await app.HistoryAsync("lobby")).MessageTexts);
    }

    [Fact]
    public async Task IdsOfSuccessiveMessagesSortInSendingOrderEvenWithinOneTick()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var ids = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            ids.Add((await app.SendTextAsync(alice, $"m{i}")).Json.RootElement.GetProperty("id").GetString()!);
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
        Assert.Equal(5, ids.Distinct().Count());
    }
}
