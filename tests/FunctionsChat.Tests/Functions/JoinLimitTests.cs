using System.Net;
using FunctionsChat.Members;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FunctionsChat.Tests.Functions;

public sealed class JoinLimitTests
{
    private readonly ChatTestApp app = new(new Dictionary<string, string?> { ["Chat:JoinLimitPerMinute"] = "3" });

    [Fact]
    public async Task MoreJoinsFromOneAddressThanTheLimitReturns429WithRetryAfterAndCreateNothing()
    {
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(201, (await app.JoinFromAsync("lobby", "192.0.2.10")).Status);
        }

        var refused = await app.JoinFromAsync("lobby", "192.0.2.10");

        var detail = refused.AssertProblem(429);
        Assert.Contains("3 a minute", detail);
        Assert.Equal("20", refused.Headers.RetryAfter.ToString()); // a minute / 3: when the next join is allowed
        Assert.Equal(3, app.Inboxes.QueueNames.Count);
        Assert.Equal(3, (await app.Members.ListAsync("lobby", default)).Count);
    }

    [Fact]
    public async Task TheLimitAppliesAcrossRooms()
    {
        foreach (var room in new[] { "a", "b", "c" })
        {
            Assert.Equal(201, (await app.JoinFromAsync(room, "192.0.2.10")).Status);
        }

        (await app.JoinFromAsync("d", "192.0.2.10")).AssertProblem(429);
    }

    [Fact]
    public async Task AnotherAddressHasItsOwnAllowance()
    {
        for (var i = 0; i < 3; i++)
        {
            await app.JoinFromAsync("lobby", "192.0.2.10");
        }

        Assert.Equal(201, (await app.JoinFromAsync("lobby", "192.0.2.11")).Status);
    }

    [Fact]
    public async Task AfterABurstOneMoreJoinIsAllowedEveryMinuteDividedByTheLimit()
    {
        for (var i = 0; i < 3; i++)
        {
            await app.JoinFromAsync("lobby", "192.0.2.10");
        }

        app.Clock.Advance(TimeSpan.FromSeconds(19));
        (await app.JoinFromAsync("lobby", "192.0.2.10")).AssertProblem(429);
        app.Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(201, (await app.JoinFromAsync("lobby", "192.0.2.10")).Status);
        (await app.JoinFromAsync("lobby", "192.0.2.10")).AssertProblem(429);

        app.Clock.Advance(TimeSpan.FromMinutes(1));
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(201, (await app.JoinFromAsync("lobby", "192.0.2.10")).Status);
        }
    }

    [Fact]
    public async Task AnXForwardedForHeaderFromTheCallerDoesNotChangeWhoIsCounted()
    {
        for (var i = 0; i < 3; i++)
        {
            var forged = new Dictionary<string, string> { ["X-Forwarded-For"] = $"198.51.100.{i}", ["X-Client-IP"] = $"198.51.100.{i}" };
            Assert.Equal(201, (await app.JoinFromAsync("lobby", "192.0.2.10", forged)).Status);
        }

        var another = new Dictionary<string, string> { ["X-Forwarded-For"] = "198.51.100.99" };
        (await app.JoinFromAsync("lobby", "192.0.2.10", another)).AssertProblem(429);
    }

    [Fact]
    public async Task BehindTheFunctionsHostTheAddressIsTheLastForwardedEntryNotTheOnesTheCallerWrote()
    {
        // The worker's own forwarded-headers handling, exactly as ConfigureFunctionsWebApplication sets it up, on a
        // request the host passes on over loopback: the caller wrote the first entry, the platform appended the last.
        var worker = WorkerForwardedHeaders();
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(201, (await JoinThroughTheWorkerAsync(worker, $"198.51.100.{i}, 203.0.113.7:4711")).Status);
        }

        (await JoinThroughTheWorkerAsync(worker, "198.51.100.99, 203.0.113.7:4711")).AssertProblem(429);
        (await JoinThroughTheWorkerAsync(worker, "203.0.113.7")).AssertProblem(429);
        Assert.Equal(201, (await JoinThroughTheWorkerAsync(worker, "198.51.100.99, 203.0.113.8:4711")).Status);
    }

    [Fact]
    public async Task IPv6AddressesAreCountedPer64AndIPv4MappedOnesAsIPv4()
    {
        await app.JoinFromAsync("lobby", "2001:db8:1:2::1");
        await app.JoinFromAsync("lobby", "2001:db8:1:2::2");
        await app.JoinFromAsync("lobby", "2001:db8:1:2:ffff:ffff:ffff:ffff");
        (await app.JoinFromAsync("lobby", "2001:db8:1:2::abcd")).AssertProblem(429);
        Assert.Equal(201, (await app.JoinFromAsync("lobby", "2001:db8:1:3::1")).Status);

        await app.JoinFromAsync("lobby", "192.0.2.20");
        await app.JoinFromAsync("lobby", "::ffff:192.0.2.20");
        await app.JoinFromAsync("lobby", "192.0.2.20");
        (await app.JoinFromAsync("lobby", "::ffff:192.0.2.20")).AssertProblem(429);
    }

    [Fact]
    public async Task ARefusedJoinIsRefusedBeforeAnyStorageCall()
    {
        for (var i = 0; i < 3; i++)
        {
            await app.JoinFromAsync("lobby", "192.0.2.10");
        }
        app.Outage.IsDown = true;

        (await app.JoinFromAsync("lobby", "192.0.2.10")).AssertProblem(429);
    }

    [Fact]
    public async Task BadRequestsDoNotUseUpTheAllowance()
    {
        for (var i = 0; i < 5; i++)
        {
            var request = ChatTestApp.Request("POST", """{ "name": 42 }""");
            request.HttpContext.Connection.RemoteIpAddress = IPAddress.Parse("192.0.2.10");
            (await ChatTestApp.RunAsync(r => app.Function<JoinRoom>().Run(r, "lobby", default), request)).AssertProblem(400);
        }

        Assert.Equal(201, (await app.JoinFromAsync("lobby", "192.0.2.10")).Status);
    }

    [Fact]
    public void TheLimiterRemembersABoundedNumberOfAddresses()
    {
        var clock = new FakeTimeProvider();
        var limiter = new JoinRateLimiter(clock, Options.Create(new ChatOptions { JoinLimitPerMinute = 30 }));

        for (var i = 0; i < JoinRateLimiter.MaxTrackedAddresses * 3; i++)
        {
            Assert.Null(limiter.TryAcquire($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"));
        }
        Assert.InRange(limiter.TrackedAddresses, 1, JoinRateLimiter.MaxTrackedAddresses + 1);
    }

    [Fact]
    public void AddressesWhoseAllowanceIsWholeAgainAreForgottenFirst()
    {
        var clock = new FakeTimeProvider();
        var limiter = new JoinRateLimiter(clock, Options.Create(new ChatOptions { JoinLimitPerMinute = 2 }));
        for (var i = 0; i < JoinRateLimiter.MaxTrackedAddresses; i++)
        {
            limiter.TryAcquire($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}");
        }
        clock.Advance(TimeSpan.FromSeconds(31)); // each of them joined once: whole again after 30 s
        limiter.TryAcquire("192.0.2.1");
        limiter.TryAcquire("192.0.2.1");

        limiter.TryAcquire("192.0.2.2");

        Assert.Equal(2, limiter.TrackedAddresses);
        Assert.NotNull(limiter.TryAcquire("192.0.2.1"));
    }

    [Fact]
    public void AnAddressStillLimitedSurvivesPruning()
    {
        var clock = new FakeTimeProvider();
        var limiter = new JoinRateLimiter(clock, Options.Create(new ChatOptions { JoinLimitPerMinute = 2 }));
        limiter.TryAcquire("192.0.2.1");
        limiter.TryAcquire("192.0.2.1");
        clock.Advance(TimeSpan.FromSeconds(1));

        // Many addresses joining once each, a little later: the oldest, nearly whole entries go first.
        for (var i = 0; i < JoinRateLimiter.MaxTrackedAddresses + 10; i++)
        {
            limiter.TryAcquire($"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}");
        }

        Assert.NotNull(limiter.TryAcquire("192.0.2.1"));
    }

    private async Task<TestResponse> JoinThroughTheWorkerAsync(ForwardedHeadersOptions worker, string forwardedFor)
    {
        var request = ChatTestApp.Request("POST");
        request.HttpContext.Connection.RemoteIpAddress = IPAddress.Loopback; // the Functions host
        request.Headers["X-Forwarded-For"] = forwardedFor;
        await new ForwardedHeadersMiddleware(_ => Task.CompletedTask, NullLoggerFactory.Instance, Options.Create(worker)).Invoke(request.HttpContext);
        return await ChatTestApp.RunAsync(r => app.Function<JoinRoom>().Run(r, "lobby", default), request);
    }

    private static ForwardedHeadersOptions WorkerForwardedHeaders()
    {
        using var host = new HostBuilder().ConfigureFunctionsWebApplication().Build();
        return host.Services.GetRequiredService<IOptions<ForwardedHeadersOptions>>().Value;
    }
}
