using FunctionsChat.Auth;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Tests.Functions;

/// <summary>Every member route refuses forged, tampered and misplaced tokens.</summary>
public sealed class AccessTests
{
    private readonly ChatTestApp app = new();

    public static TheoryData<string> MemberRoutes => ["send", "poll", "leave"];

    private Task<TestResponse> CallAsync(string route, string room, string? token, string userId) => route switch
    {
        "send" => app.SendAsync(room, token, """{ "text": "hi" }"""),
        "poll" => app.PollAsync(room, token, "timeout=1"),
        _ => app.LeaveAsync(room, token, userId),
    };

    [Theory]
    [MemberData(nameof(MemberRoutes))]
    public async Task MissingOrMalformedTokensGet401(string route)
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bogus = new[] { null, "", "not-a-token", "a.b", "a.b.c", alice.Token + "x", alice.Token[..^2], "Basic abc" };

        foreach (var token in bogus)
        {
            (await CallAsync(route, "lobby", token, alice.UserId)).AssertProblem(401);
        }
    }

    [Theory]
    [MemberData(nameof(MemberRoutes))]
    public async Task ATokenSignedWithAnotherKeyGets401(string route)
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var forger = new MemberTokens(Options.Create(new ChatOptions { SigningKey = "some-other-key-that-is-long-enough-000000" }));
        var forged = forger.Issue(new MemberToken("lobby", alice.UserId, alice.Name));

        (await CallAsync(route, "lobby", forged, alice.UserId)).AssertProblem(401);
    }

    [Theory]
    [MemberData(nameof(MemberRoutes))]
    public async Task ATokenWithATamperedPayloadGets401(string route)
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        var bob = await app.JoinAsMemberAsync("lobby");
        var bobsPayload = bob.Token.Split('.')[0];
        var alicesSignature = alice.Token.Split('.')[1];

        (await CallAsync(route, "lobby", $"{bobsPayload}.{alicesSignature}", bob.UserId)).AssertProblem(401);
    }

    [Theory]
    [MemberData(nameof(MemberRoutes))]
    public async Task AValidTokenOfAnotherRoomGets403(string route)
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        await app.JoinAsMemberAsync("other");

        (await CallAsync(route, "other", alice.Token, alice.UserId)).AssertProblem(403);
    }

    [Theory]
    [MemberData(nameof(MemberRoutes))]
    public async Task ATokenOfAMemberThatExpiredGets410(string route)
    {
        var alice = await app.JoinAsMemberAsync("lobby");
        app.Clock.Advance(TimeSpan.FromMinutes(3));

        (await CallAsync(route, "lobby", alice.Token, alice.UserId)).AssertProblem(410);
    }

    [Fact]
    public void TokensBindRoomMemberAndName()
    {
        var tokens = app.Function<MemberTokens>();

        var issued = tokens.Issue(new MemberToken("lobby", "u1", "名字 with \"quotes\""));

        Assert.Equal(new MemberToken("lobby", "u1", "名字 with \"quotes\""), tokens.Verify(issued));
        Assert.DoesNotContain('=', issued);
        Assert.DoesNotContain('+', issued);
    }
}
