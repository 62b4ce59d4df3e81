using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Auth;

/// <summary>
/// Tokens are base64url(JSON [room, userId, name]) "." base64url(HMAC-SHA256 of that payload). The server keeps no
/// session: any instance holding the signing key can check a token.
/// </summary>
public sealed class MemberTokens(IOptions<ChatOptions> options)
{
    private readonly byte[] key = Encoding.UTF8.GetBytes(options.Value.SigningKey ?? throw new InvalidOperationException("Chat:SigningKey is not set."));

    public string Issue(MemberToken token)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new[] { token.Room, token.UserId, token.Name });
        return $"{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(Sign(payload))}";
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
            if (!CryptographicOperations.FixedTimeEquals(signature, Sign(payload)))
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

    private byte[] Sign(ReadOnlySpan<byte> payload) => HMACSHA256.HashData(key, payload);
}
