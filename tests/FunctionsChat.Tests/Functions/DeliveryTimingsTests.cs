using FunctionsChat.Delivery;
using Microsoft.Extensions.DependencyInjection;

namespace FunctionsChat.Tests.Functions;

/// <summary>Delivery's timings are one table whose rules are checked at start-up, not written in comments.</summary>
public sealed class DeliveryTimingsTests
{
    private static ChatOptions Options(int idleMilliseconds = 1_000) => new()
    {
        SigningKey = ChatTestApp.SigningKey,
        RoomWatchIdleIntervalMilliseconds = idleMilliseconds,
    };

    [Theory]
    [InlineData(50)]
    [InlineData(1_000)]
    [InlineData(60_000)]
    public void TheAppsOwnTimingsHoldEveryRuleAtAnyWatcherPace(int idleMilliseconds)
    {
        Assert.Empty(DeliveryTimings.Default.Check(Options(idleMilliseconds)));
        Assert.True(new ChatOptionsValidator(DeliveryTimings.Default).Validate(null, Options(idleMilliseconds)).Succeeded);
    }

    [Fact]
    public void TheAppRunsWithTheDefaultTable()
    {
        Assert.Same(DeliveryTimings.Default, new ChatTestApp().Services.GetRequiredService<DeliveryTimings>());
    }

    [Theory]
    [InlineData("TakenBackAfter < SweptAfter")]
    [InlineData("RoutesUsableFor < HandOverGrace")]
    [InlineData("RepublishEvery < WaitingSetFreshFor")]
    [InlineData("completeness bound")]
    [InlineData("WatchReadTimeout + idle interval <= RoundsKeptFor")]
    public void ATableThatBreaksARuleIsRefusedAtStartUpNamingTheRule(string rule)
    {
        var broken = rule switch
        {
            "TakenBackAfter < SweptAfter" => DeliveryTimings.Default with { TakenBackAfter = TimeSpan.FromSeconds(40) },
            "RoutesUsableFor < HandOverGrace" => DeliveryTimings.Default with { RoutesUsableFor = TimeSpan.FromSeconds(12) },
            "RepublishEvery < WaitingSetFreshFor" => DeliveryTimings.Default with { RepublishEvery = TimeSpan.FromSeconds(45) },
            "WatchReadTimeout + idle interval <= RoundsKeptFor" => DeliveryTimings.Default with { WatchReadTimeout = TimeSpan.FromSeconds(5) },
            _ => DeliveryTimings.Default with { PageCheckGrace = TimeSpan.FromSeconds(5) },
        };

        var result = new ChatOptionsValidator(broken).Validate(null, Options());

        Assert.True(result.Failed);
        Assert.Contains(rule, result.FailureMessage);
    }

    [Fact]
    public void ASlowWatcherMakesWritersKeepTheirRoundsLongerSoItsReadsStillSeeThem()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), DeliveryTimings.Default.RoundsKeptFor(Options(1_000)));
        Assert.Equal(TimeSpan.FromSeconds(20), DeliveryTimings.Default.RoundsKeptFor(Options(10_000)));
    }
}
