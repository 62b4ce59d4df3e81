namespace FunctionsChat.Storage;

/// <summary>A message as accepted by the server. <see cref="Id"/> sorts ordinally in acceptance order.</summary>
public sealed record ChatMessage(string Id, string Room, string UserId, string Name, string Text, DateTimeOffset SentAt);
