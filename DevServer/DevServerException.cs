namespace FunctionsChat.DevServer;

/// <summary>A problem the developer can fix; Program prints the message (no stack trace) and exits with 1.</summary>
public sealed class DevServerException(string message) : Exception(message);
