namespace FunctionsChat.Storage;

/// <summary>A member of one room, with the name of the queue that is its inbox.</summary>
public sealed record Member(string Room, string UserId, string Name, string QueueName, DateTimeOffset JoinedAt, DateTimeOffset LastSeen);
