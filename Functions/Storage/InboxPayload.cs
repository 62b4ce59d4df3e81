using System.Text.Json;

namespace FunctionsChat.Storage;

/// <summary>A queue message holds a JSON array of chat messages, so one put can carry several.</summary>
public static class InboxPayload
{
    public static string Serialize(IReadOnlyList<ChatMessage> messages) => JsonSerializer.Serialize(messages, ChatJson.Options);

    /// <summary>At most this many messages per queue message, like one receive.</summary>
    public const int MaxMessagesPerPayload = 32;

    /// <summary>
    /// UTF-8 bytes of JSON per queue message: the queue allows 64 KiB after XML escaping, which can grow text up to
    /// five-fold (&amp;amp;). A single message always gets a payload of its own, whatever its size.
    /// </summary>
    public const int MaxPayloadBytes = 12 * 1024;

    /// <summary>Messages (oldest first) packed into as few payloads as the limits allow, in order.</summary>
    public static IReadOnlyList<string> Pack(IReadOnlyList<ChatMessage> messages)
    {
        var payloads = new List<string>();
        var start = 0;
        while (start < messages.Count)
        {
            var count = 1;
            var payload = Serialize([messages[start]]);
            while (start + count < messages.Count && count < MaxMessagesPerPayload)
            {
                var bigger = Serialize(messages.Skip(start).Take(count + 1).ToList());
                if (System.Text.Encoding.UTF8.GetByteCount(bigger) > MaxPayloadBytes)
                {
                    break;
                }
                (payload, count) = (bigger, count + 1);
            }
            payloads.Add(payload);
            start += count;
        }
        return payloads;
    }

    public static IReadOnlyList<ChatMessage> Deserialize(string payload) =>
        JsonSerializer.Deserialize<ChatMessage[]>(payload, ChatJson.Options) ?? [];
}
