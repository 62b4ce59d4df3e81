using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Auth;

/// <summary>
/// Tokens are base64url(JSON [room, userId, name]) "." base64url(HMAC-SHA256 of that payload). The server keeps no
/// session: any instance holding the signing key can check a token. New tokens are signed with Chat:SigningKey;
/// tokens signed with one of Chat:PreviousSigningKeys are still accepted, so the key can be rotated.
/// </summary>
public sealed class MemberTokens
{
    private readonly byte[] signingKey;
    private readonly byte[][] acceptedKeys;

    public MemberTokens(IOptions<ChatOptions> options)
    {
        var settings = options.Value;
        var current = settings.SigningKey ?? throw new InvalidOperationException("Chat:SigningKey is not set.");
        signingKey = Encoding.UTF8.GetBytes(current);
        acceptedKeys = settings.PreviousSigningKeys
            .Where(k => !string.IsNullOrWhiteSpace(k) && k != current)
            .Distinct(StringComparer.Ordinal)
            .Select(k => Encoding.UTF8.GetBytes(k))
            .Prepend(signingKey)
            .ToArray();
    }

    public string Issue(MemberToken token)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new[] { token.Room, token.UserId, token.Name });
        return $"{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(HMACSHA256.HashData(signingKey, payload))}";
    }

    /// <summary>The token's claims, or null when it is malformed or its signature does not match.</summary>
    public MemberToken? Verify(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 1024)
        {
            return null;
        }
        var dot = token.IndexOf('.');
        if (dot <= 0 || dot != token.LastIndexOf('.'))
        {
            return null;
        }
        try
        {
            var payload = Base64Url.DecodeFromChars(token.AsSpan(0, dot));
            var signature = Base64Url.DecodeFromChars(token.AsSpan(dot + 1));
            if (!SignedByAnAcceptedKey(payload, signature))
            {
                return null;
            }
            var parts = JsonSerializer.Deserialize<string[]>(payload);
            return parts is [{ } room, { } userId, { } name] ? new MemberToken(room, userId, name) : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Every key is tried, each in constant time, so the time taken does not tell which one matched.</summary>
    private bool SignedByAnAcceptedKey(byte[] payload, byte[] signature)
    {
        var matched = false;
        foreach (var key in acceptedKeys)
        {
            matched |= CryptographicOperations.FixedTimeEquals(signature, HMACSHA256.HashData(key, payload));
        }
        return matched;
    }
}
