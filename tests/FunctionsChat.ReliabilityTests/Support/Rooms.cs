namespace FunctionsChat.ReliabilityTests.Support;

public static class Rooms
{
    /// <summary>A room of its own for each test: lowercase, digits and dashes, at most 32 characters.</summary>
    public static string New(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 13)];
}
