using Bogus;
using Microsoft.Extensions.Options;

namespace FunctionsChat.Members;

/// <summary>Random display names in the configured locale, as the original Faker app gave its visitors.</summary>
public sealed class NameGenerator(IOptions<ChatOptions> options)
{
    private readonly Faker faker = new(options.Value.NameLocale);
    private readonly bool familyNameFirst = IsFamilyNameFirst(options.Value.NameLocale);

    public string Next()
    {
        // Faker is not thread-safe.
        lock (faker)
        {
            return familyNameFirst
                ? faker.Name.LastName() + faker.Name.FirstName()
                : $"{faker.Name.FirstName()} {faker.Name.LastName()}";
        }
    }

    // Chinese, Japanese and Korean names put the family name first, with no space.
    private static bool IsFamilyNameFirst(string locale) =>
        locale.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ||
        locale.StartsWith("ja", StringComparison.OrdinalIgnoreCase) ||
        locale.StartsWith("ko", StringComparison.OrdinalIgnoreCase);
}
