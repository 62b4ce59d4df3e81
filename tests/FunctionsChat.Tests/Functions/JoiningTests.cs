namespace FunctionsChat.Tests.Functions;

public sealed class JoiningTests
{
    private readonly ChatTestApp app = new();

    [Fact]
    public async Task JoiningWithoutABodyGivesARandomChineseNameAndCreatesQueueAndRecord()
    {
        var response = await app.JoinAsync("lobby");

        Assert.Equal(201, response.Status);
        var json = response.Json.RootElement;
        var userId = json.GetProperty("userId").GetString()!;
        var name = json.GetProperty("name").GetString()!;
        Assert.Equal("lobby", json.GetProperty("room").GetString());
        Assert.False(string.IsNullOrEmpty(json.GetProperty("token").GetString()));
        Assert.Contains(name, c => c is >= '\u4e00' and <= '\u9fff');
        var member = await app.Members.GetAsync("lobby", userId, default);
        Assert.NotNull(member);
        Assert.Equal(name, member.Name);
        Assert.Contains(member.QueueName, app.Inboxes.QueueNames);
        Assert.Matches("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$", member.QueueName);
    }

    [Fact]
    public async Task JoiningWithANameKeepsItTrimmed()
    {
        var response = await app.JoinAsync("lobby", """{ "name": "  小明  " }""");

        Assert.Equal(201, response.Status);
        Assert.Equal("小明", response.Json.RootElement.GetProperty("name").GetString());
    }

    [Theory]
    [InlineData("""{ "name": "   " }""")]
    [InlineData("""{ "name": null }""")]
    [InlineData("{}")]
    [InlineData("")]
    public async Task JoiningWithABlankNameGetsARandomOne(string body)
    {
        var response = await app.JoinAsync("lobby", body);

        Assert.Equal(201, response.Status);
        Assert.False(string.IsNullOrWhiteSpace(response.Json.RootElement.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task RandomNamesFollowTheConfiguredLocale()
    {
        var english = new ChatTestApp(new Dictionary<string, string?> { ["Chat:NameLocale"] = "en" });

        var name = (await english.JoinAsMemberAsync("lobby")).Name;

        Assert.Matches("^[A-Za-z'\\- ]+ [A-Za-z'\\- ]+$", name);
    }

    [Fact]
    public async Task ANameOfFortyCharactersIsAcceptedAndFortyOneIsRefused()
    {
        Assert.Equal(201, (await app.JoinAsync("lobby", $$"""{ "name": "{{new string('名', 40)}}" }""")).Status);

        var detail = (await app.JoinAsync("lobby", $$"""{ "name": "{{new string('名', 41)}}" }""")).AssertProblem(400);
        Assert.Contains("40", detail);
    }

    [Theory]
    [InlineData("Lobby")]
    [InlineData("-lobby")]
    [InlineData("a b")]
    [InlineData("abcdefghijabcdefghijabcdefghijabc")]
    [InlineData("房间")]
    public async Task JoiningARoomWithAnInvalidNameReturnsProblemDetails(string room)
    {
        (await app.JoinAsync(room)).AssertProblem(400);
        Assert.Empty(app.Inboxes.QueueNames);
    }

    [Theory]
    [InlineData("{ \"name\": ")]
    [InlineData("{ \"name\": 42 }")]
    [InlineData("[\"name\"]")]
    [InlineData("\"just a string\"")]
    public async Task JoiningWithMalformedJsonOrAWrongTypeReturns400(string body)
    {
        (await app.JoinAsync("lobby", body)).AssertProblem(400);
    }

    [Fact]
    public async Task JoiningWithANameContainingControlCharactersReturns400()
    {
        (await app.JoinAsync("lobby", """{ "name": "a\u0007b" }""")).AssertProblem(400);
    }

    [Fact]
    public async Task JoiningWithABodyOver16KiBReturns413()
    {
        var body = $$"""{ "name": "x", "pad": "{{new string('x', 17 * 1024)}}" }""";

        (await app.JoinAsync("lobby", body)).AssertProblem(413);
    }

    [Fact]
    public async Task JoiningWhileStorageIsDownReturns503WithRetryAfter()
    {
        app.Outage.IsDown = true;

        var response = await app.JoinAsync("lobby");

        response.AssertProblem(503);
        Assert.True(int.Parse(response.Headers.RetryAfter!) > 0);
    }
}
