namespace FunctionsChat.Tests.Functions;

public sealed class HistoryTests
{
    private readonly ChatTestApp app = new();

    private async Task<List<string>> SendManyAsync(int count)
    {
        var ids = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var sender = await app.JoinAsMemberAsync("lobby");
            ids.Add((await app.SendTextAsync(sender, $"m{i}")).Json.RootElement.GetProperty("id").GetString()!);
            app.Clock.Advance(TimeSpan.FromMilliseconds(10));
        }
        return ids;
    }

    [Fact]
    public async Task HistoryWithoutBoundsReturnsTheNewestMessagesOldestFirst()
    {
        await SendManyAsync(5);

        Assert.Equal(["m2", "m3", "m4"], (await app.HistoryAsync("lobby", "limit=3")).MessageTexts);
        Assert.Equal(["m0", "m1", "m2", "m3", "m4"], (await app.HistoryAsync("lobby")).MessageTexts);
    }

    [Fact]
    public async Task HistoryAfterAnIdReturnsTheOldestMessagesAboveIt()
    {
        var ids = await SendManyAsync(5);

        Assert.Equal(["m2", "m3"], (await app.HistoryAsync("lobby", $"after={ids[1]}&limit=2")).MessageTexts);
    }

    [Fact]
    public async Task HistoryBeforeAnIdReturnsTheNewestMessagesBelowIt()
    {
        var ids = await SendManyAsync(5);

        Assert.Equal(["m1", "m2"], (await app.HistoryAsync("lobby", $"before={ids[3]}&limit=2")).MessageTexts);
    }

    [Fact]
    public async Task HistoryBetweenTwoIdsReturnsWhatLiesBetween()
    {
        var ids = await SendManyAsync(5);

        Assert.Equal(["m2", "m3"], (await app.HistoryAsync("lobby", $"after={ids[1]}&before={ids[4]}")).MessageTexts);
    }

    [Fact]
    public async Task HistoryOfAnEmptyRoomIsAnEmptyList()
    {
        var response = await app.HistoryAsync("empty-room");

        Assert.Equal(200, response.Status);
        Assert.Empty(response.Messages);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=501")]
    [InlineData("limit=abc")]
    [InlineData("limit=-1")]
    [InlineData("limit=1&limit=2")]
    [InlineData("after=123")]
    [InlineData("after=")]
    [InlineData("before=' or 1 eq 1")]
    public async Task HistoryWithABadQueryReturnsProblemDetails(string query)
    {
        (await app.HistoryAsync("lobby", query)).AssertProblem(400);
    }

    [Fact]
    public async Task HistoryAcceptsTheLargestLimit()
    {
        Assert.Equal(200, (await app.HistoryAsync("lobby", "limit=500")).Status);
    }

    [Fact]
    public async Task HistoryOfAnInvalidRoomReturns400()
    {
        (await app.HistoryAsync("NOT_A_ROOM")).AssertProblem(400);
    }

    [Fact]
    public async Task HistoryNeedsNoToken()
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        await app.SendTextAsync(alice, "public");

        Assert.Equal(["public"], (await app.HistoryAsync("lobby")).MessageTexts);
    }

    [Fact]
    public async Task HistoryWhileStorageIsDownReturns503()
    {
        app.Outage.IsDown = true;

        (await app.HistoryAsync("lobby")).AssertProblem(503);
    }
}
