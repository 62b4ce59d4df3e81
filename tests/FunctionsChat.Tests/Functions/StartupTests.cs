using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Tests.Functions;

public sealed class StartupTests
{
    private static ChatOptions Resolve(IDictionary<string, string?> settings) =>
        new ChatTestApp(settings).Services.GetRequiredService<IOptions<ChatOptions>>().Value;

    [Fact]
    public void AMissingSigningKeyStopsStartupWithAMessageNamingTheSetting()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?> { ["Chat:SigningKey"] = null }));

        Assert.Contains("Chat__SigningKey", error.Message);
    }

    [Fact]
    public void AShortSigningKeyIsRefused()
    {
        Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?> { ["Chat:SigningKey"] = "short" }));
    }

    [Fact]
    public void APreviousSigningKeyThatIsTooShortIsRefusedNamingItsAppSetting()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?>
        {
            ["Chat:PreviousSigningKeys:0"] = "previous-key-long-enough-0123456789abcdef",
            ["Chat:PreviousSigningKeys:1"] = "short",
        }));

        Assert.Contains("Chat__PreviousSigningKeys__1", error.Message);
        Assert.DoesNotContain("__0", error.Message);
    }

    [Fact]
    public void AnEmptyPreviousSigningKeyMeansNone()
    {
        var options = Resolve(new Dictionary<string, string?> { ["Chat:PreviousSigningKeys:0"] = "" });

        Assert.All(options.PreviousSigningKeys, key => Assert.True(string.IsNullOrEmpty(key)));
    }

    [Theory]
    [InlineData("Chat:JoinLimitPerMinute", "0")]
    [InlineData("Chat:JoinLimitPerMinute", "100001")]
    [InlineData("Chat:MaxMembersPerRoom", "0")]
    [InlineData("Chat:MaxMembersPerRoom", "10001")]
    public void AnOutOfRangeJoinLimitOrRoomCapacityIsRefused(string setting, string value)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?> { [setting] = value }));

        Assert.Contains(setting.Split(':')[1], error.Message);
    }

    [Fact]
    public void AnUnknownNameLocaleIsRefused()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?> { ["Chat:NameLocale"] = "xx_YY" }));

        Assert.Contains("xx_YY", error.Message);
    }

    [Fact]
    public void AnOutOfRangeMemberTimeoutIsRefused()
    {
        Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?> { ["Chat:MemberTimeoutSeconds"] = "0" }));
    }

    [Fact]
    public void AMemberTimeoutThatAPollingMemberCouldOutlastIsRefused()
    {
        // lastSeen every 15 s (default) + 5 s to reconnect leave no time to poll within a 20 s timeout.
        var error = Assert.Throws<OptionsValidationException>(() => Resolve(new Dictionary<string, string?> { ["Chat:MemberTimeoutSeconds"] = "20" }));

        Assert.Contains("at least 21 s", error.Message);
    }

    [Theory]
    [InlineData("21", "15", 1)]
    [InlineData("10", "1", 4)]
    [InlineData("120", "15", 30)]
    public void TheLongestPollFitsInsideTheMemberTimeout(string memberTimeout, string lastSeenInterval, int longestPollSeconds)
    {
        var options = Resolve(new Dictionary<string, string?>
        {
            ["Chat:MemberTimeoutSeconds"] = memberTimeout,
            ["Chat:LastSeenWriteIntervalSeconds"] = lastSeenInterval,
        });

        Assert.Equal(TimeSpan.FromSeconds(longestPollSeconds), options.LongestPoll);
    }

    [Fact]
    public void DefaultsMatchTheDocumentedSettings()
    {
        var options = Resolve(new Dictionary<string, string?>());

        Assert.Equal("zh_CN", options.NameLocale);
        Assert.Equal(120, options.MemberTimeoutSeconds);
        Assert.Equal(20, options.SendLimitPer10Seconds);
        Assert.Equal(30, options.JoinLimitPerMinute);
        Assert.Equal(1_000, options.MaxMembersPerRoom);
        Assert.Empty(options.PreviousSigningKeys);
    }
}
