using System.Text.RegularExpressions;

namespace FunctionsChat.Http;

public static partial class RoomName
{
    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();

    public static bool IsValid(string? room) => room is not null && Pattern().IsMatch(room);

    public static ApiResult Invalid() =>
        Api.BadRequest("A room name is 1 to 32 characters of lowercase letters, digits and dashes, starting with a letter or digit.");
}
