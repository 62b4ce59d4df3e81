using System.Text.Json;
using FunctionsChat.Http;
using FunctionsChat.Storage;

namespace FunctionsChat.Messages;

/// <summary>A queue message holds a JSON array of chat messages, so one put can carry several.</summary>
public static class InboxPayload
{
    public static string Serialize(IReadOnlyList<ChatMessage> messages) => JsonSerializer.Serialize(messages, ApiJson.Options);

    public static IReadOnlyList<ChatMessage> Deserialize(string payload) =>
        JsonSerializer.Deserialize<ChatMessage[]>(payload, ApiJson.Options) ?? [];
}
