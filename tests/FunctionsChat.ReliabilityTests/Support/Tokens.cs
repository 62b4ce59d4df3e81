using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>
/// Bad tokens, built from outside the way an attacker would: the format is public (base64url of the JSON array
/// [room, userId, name], a dot, base64url of its HMAC-SHA256), the signing key is not.
/// </summary>
public static class Tokens
{
    /// <summary>A well-formed token for any claims, signed with a key that is not the server's.</summary>
    public static string Forged(string room, string userId, string name)
    {
        var payload = JsonSerializer.SerializeToUtf8Bytes(new[] { room, userId, name });
        var signature = HMACSHA256.HashData(RandomNumberGenerator.GetBytes(48), payload);
        return $"{Base64Url.EncodeToString(payload)}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>A real token whose claims are swapped for others, keeping the real signature.</summary>
    public static string WithClaims(string realToken, string room, string userId, string name)
    {
        var signature = realToken[(realToken.IndexOf('.') + 1)..];
        return $"{Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new[] { room, userId, name }))}.{signature}";
    }

    /// <summary>A real token with one character of its signature changed.</summary>
    public static string WithFlippedSignature(string realToken)
    {
        var chars = realToken.ToCharArray();
        var last = chars.Length - 2; // not the final char: its low bits may be padding that decodes the same
        chars[last] = chars[last] == 'A' ? 'B' : 'A';
        return new string(chars);
    }

    public static string Claims(string token) =>
        Encoding.UTF8.GetString(Base64Url.DecodeFromChars(token.AsSpan(0, token.IndexOf('.'))));
}
