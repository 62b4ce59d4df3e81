namespace FunctionsChat.Tests.Functions;

public sealed class HealthTests
{
    private readonly ChatTestApp app = new();

    [Fact]
    public async Task HealthIs200WhileStorageAnswers()
    {
        var response = await app.HealthAsync();

        Assert.Equal(200, response.Status);
        Assert.Equal("healthy", response.Json.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task HealthIs503WithAProblemWhileStorageIsDownAndRecovers()
    {
        app.Outage.IsDown = true;
        var down = await app.HealthAsync();
        app.Outage.IsDown = false;
        var up = await app.HealthAsync();

        down.AssertProblem(503);
        Assert.NotEmpty(down.Headers.RetryAfter.ToString());
        Assert.Equal(200, up.Status);
    }

    [Fact]
    public async Task EveryApiResponseSaysNoSniff()
    {
        Assert.Equal("nosniff", (await app.HealthAsync()).Headers.XContentTypeOptions.ToString());
        Assert.Equal("nosniff", (await app.JoinAsync("BAD")).Headers.XContentTypeOptions.ToString());
    }
}
