namespace FunctionsChat.TestSupport;

public static class Rooms
{
    /// <summary>A room of its own for each test: lowercase, digits and dashes, at most 32 characters.</summary>
    public static string New(string prefix, int randomChars = 12) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 1 + randomChars)];
}
