namespace FunctionsChat.Storage;

/// <summary>
/// A message as accepted by the server. <see cref="Id"/> sorts ordinally in acceptance order. <see cref="Kind"/> is
/// null for what a member wrote; a notice the server wrote about a member (see <c>RoomNotices</c>) names its kind, and
/// its <see cref="Text"/> says the same in plain English for clients that only know text messages.
/// </summary>
/// <param name="NewName">For a rename notice: the name the member took (<see cref="Name"/> is the one it had).</param>
public sealed record ChatMessage(string Id, string Room, string UserId, string Name, string Text, DateTimeOffset SentAt, string? Kind = null, string? NewName = null);
