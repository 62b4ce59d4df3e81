namespace FunctionsChat.Auth;

/// <summary>What a valid bearer token says: who the member is and in which room.</summary>
public sealed record MemberToken(string Room, string UserId, string Name);
