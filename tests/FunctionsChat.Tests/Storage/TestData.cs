using System.Globalization;
using System.Text;
using FunctionsChat.Messages;
using FunctionsChat.Storage;

namespace FunctionsChat.Tests.Storage;

/// <summary>Unique names and well-formed messages for the contract tests.</summary>
internal static class TestData
{
    /// <summary>Text and names that break naive encodings: CJK, emoji with joiners and skin tones, combining marks, RTL, markup, whitespace.</summary>
    public const string Unicode = "  你好，世界！ 𠜎𠜱 👩🏽‍💻👨‍👩‍👧‍👦🇨🇳 e\u0301 مرحبا <b>&amp;</b> \"quotes\" 'apos' \\ back\tslash\nnew line ";

    /// <summary>No single contract test may hang the run.</summary>
    public static readonly TimeSpan TestTimeout = TimeSpan.FromSeconds(60);

    public static string Room() => "room-" + Guid.NewGuid().ToString("N")[..20];

    public static string UserId() => Guid.NewGuid().ToString("N");

    /// <summary>A message id in the production format with chosen ticks and tie-breaker.</summary>
    public static string Id(long ticks, uint tail) => string.Create(CultureInfo.InvariantCulture, $"{ticks:D19}-{tail:x8}");

    public static ChatMessage Message(string room, string id, string text = "hello", string name = "小明", string? userId = null) =>
        new(id, room, userId ?? "u0123456789abcdef0123456789abcdef", name, text, new DateTimeOffset(long.Parse(id[..19], CultureInfo.InvariantCulture), TimeSpan.Zero));

    /// <summary>Messages with increasing ids, as one server instance would accept them.</summary>
    public static List<ChatMessage> Messages(string room, int count)
    {
        var ids = new MessageIds(TimeProvider.System);
        return Enumerable.Range(0, count).Select(i =>
        {
            var (id, sentAt) = ids.Next();
            return new ChatMessage(id, room, UserId(), $"成员{i}", $"message {i} 消息 🎉", sentAt);
        }).ToList();
    }

    /// <summary>Exactly <paramref name="runes"/> Unicode characters, a third of them outside the BMP (two UTF-16 units each).</summary>
    public static string LongText(int runes)
    {
        var pieces = new[] { "长", "😀", "a" };
        var text = new StringBuilder();
        for (var i = 0; i < runes; i++)
        {
            text.Append(pieces[i % pieces.Length]);
        }
        return text.ToString();
    }
}
