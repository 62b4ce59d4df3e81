using System.Text;
using System.Globalization;

namespace FunctionsChat.Members;

public static class MemberNames
{
    public const int MaxLength = 40;

    /// <summary>The trimmed name, or an error message. Length counts Unicode code points, as people count characters.</summary>
    public static (string? Name, string? Error) Validate(string name)
    {
        var trimmed = name.Trim();
        if (trimmed.EnumerateRunes().Count() > MaxLength)
        {
            return (null, $"A name is at most {MaxLength} characters.");
        }
        if (trimmed.EnumerateRunes().Any(r => Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator))
        {
            return (null, "A name cannot contain control or formatting characters.");
        }
        return (trimmed, null);
    }
}
