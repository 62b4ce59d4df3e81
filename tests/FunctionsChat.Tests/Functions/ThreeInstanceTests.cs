using FunctionsChat.Delivery;
using Microsoft.Extensions.DependencyInjection;
using static FunctionsChat.Tests.Functions.FakeClockDriver;

namespace FunctionsChat.Tests.Functions;

/// <summary>
/// Three instances of the app on one storage account (shared fakes, one clock), as Flex Consumption runs it: a
/// member's poll waits on one instance while the message is sent on another. The base of the cross-instance tests.
/// </summary>
public abstract class ThreeInstanceTests
{
    // Back-off far longer than the tests' clock moves: only wakes, hand-overs and answers-at-once can end a poll early.
    protected static readonly Dictionary<string, string?> Settings = new()
    {
        ["Chat:PollFirstPauseMilliseconds"] = "30000",
        ["Chat:PollBackoffCapMilliseconds"] = "30000",
    };

    protected readonly ChatTestApp sender = new(Settings);
    protected readonly ChatTestApp waiter;
    protected readonly ChatTestApp third;

    protected ThreeInstanceTests()
    {
        waiter = new ChatTestApp(Settings, sharesStorageWith: sender);
        third = new ChatTestApp(Settings, sharesStorageWith: sender);
    }

    protected async Task<(Joined Alice, Joined Bob)> TwoMembersAsync() =>
        (await sender.JoinAsMemberAsync("lobby"), await sender.JoinAsMemberAsync("lobby"));

    /// <summary>Bob polls on <paramref name="on"/> while Alice sends on the sender instance; his poll's answer.</summary>
    protected async Task<TestResponse> SendWhileBobWaitsAsync(Joined alice, string text, Joined bob, ChatTestApp on)
    {
        var bobsQueue = await QueueOfAsync(bob);
        var poll = on.PollAsync("lobby", bob.Token, "timeout=30");
        await WaitUntilAsync(() => IsWaiting(on, bobsQueue));
        await sender.Clock.AdvanceAsync(TimeSpan.FromMilliseconds(300)); // the watch's first read is done
        Assert.Equal(201, (await sender.SendTextAsync(alice, text)).Status);
        return await on.AdvanceUntilDoneAsync(poll, TimeSpan.FromMilliseconds(100));
    }

    protected async Task<string> QueueOfAsync(Joined member) => (await sender.Members.GetAsync(member.Room, member.UserId, default))!.QueueName;

    protected static bool IsWaiting(ChatTestApp app, string queue) => app.Services.GetRequiredService<WaitingPolls>().IsWaiting(queue);

    protected static string Id(ChatTestApp app) => app.Services.GetRequiredService<ChatInstance>().Id;
}
