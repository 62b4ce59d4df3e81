using FunctionsChat.Auth;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Tests.Functions;

public sealed class SigningKeyRotationTests
{
    private const string OldKey = "the-key-that-signed-yesterdays-tokens-0123456789";
    private const string NewKey = "the-key-that-signs-from-today-on-abcdefghijklmnop";

    private static MemberTokens Tokens(string signingKey, params string[] previous) =>
        new(Options.Create(new ChatOptions { SigningKey = signingKey, PreviousSigningKeys = [.. previous] }));

    private static ChatTestApp App(string signingKey, params string[] previous)
    {
        var settings = new Dictionary<string, string?> { ["Chat:SigningKey"] = signingKey };
        for (var i = 0; i < previous.Length; i++)
        {
            settings[$"Chat:PreviousSigningKeys:{i}"] = previous[i];
        }
        return new ChatTestApp(settings);
    }

    [Fact]
    public async Task ATokenSignedWithAPreviousKeyIsStillAccepted()
    {
        var app = App(NewKey, OldKey);
        var member = await app.JoinAsMemberAsync("lobby", "小明");
        var oldToken = Tokens(OldKey).Issue(new MemberToken("lobby", member.UserId, member.Name));

        Assert.Equal(201, (await app.SendTextAsync(member with { Token = oldToken }, "still me")).Status);
    }

    [Fact]
    public async Task NewTokensAreSignedWithTheCurrentKeyOnly()
    {
        var app = App(NewKey, OldKey);

        var member = await app.JoinAsMemberAsync("lobby");

        Assert.NotNull(Tokens(NewKey).Verify(member.Token));
        Assert.Null(Tokens(OldKey).Verify(member.Token));
    }

    [Fact]
    public async Task OnceThePreviousKeyIsDroppedItsTokensGet401()
    {
        var app = App(NewKey);
        var member = await app.JoinAsMemberAsync("lobby");
        var oldToken = Tokens(OldKey).Issue(new MemberToken("lobby", member.UserId, member.Name));

        var refused = await app.SendTextAsync(member with { Token = oldToken }, "who am I");

        refused.AssertProblem(401);
        Assert.Equal("Bearer", refused.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public void EveryListedPreviousKeyIsAcceptedAndBlankEntriesAreIgnored()
    {
        const string older = "an-even-older-key-that-is-long-enough-0123456789";
        var tokens = Tokens(NewKey, "", OldKey, "  ", older);
        var claims = new MemberToken("lobby", "u1", "n");

        Assert.NotNull(tokens.Verify(Tokens(OldKey).Issue(claims)));
        Assert.NotNull(tokens.Verify(Tokens(older).Issue(claims)));
        Assert.NotNull(tokens.Verify(Tokens(NewKey).Issue(claims)));
        Assert.Null(tokens.Verify(Tokens("a-key-nobody-configured-0123456789abcdefgh").Issue(claims)));
    }

    [Fact]
    public void ATokenWhosePayloadWasChangedIsRefusedWhateverKeySignedIt()
    {
        var tokens = Tokens(NewKey, OldKey);
        var signed = Tokens(OldKey).Issue(new MemberToken("lobby", "u1", "n"));
        var forged = Tokens(OldKey).Issue(new MemberToken("lobby", "u2", "n"));
        var spliced = forged[..forged.IndexOf('.')] + signed[signed.IndexOf('.')..];

        Assert.Null(tokens.Verify(spliced));
    }
}
