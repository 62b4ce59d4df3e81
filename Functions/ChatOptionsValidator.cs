using FunctionsChat.Delivery;
using Microsoft.Extensions.Options;

namespace FunctionsChat;

/// <summary>Checks what data annotations cannot: the signing keys, timeouts that fit together (delivery's too), and the name locale.</summary>
internal sealed class ChatOptionsValidator(DeliveryTimings timings) : IValidateOptions<ChatOptions>
{
    public const int MinSigningKeyLength = 32;

    public ValidateOptionsResult Validate(string? name, ChatOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.SigningKey))
        {
            failures.Add("Chat:SigningKey is missing. Set the app setting 'Chat__SigningKey' to a random secret of at least " +
                $"{MinSigningKeyLength} characters (locally: in Functions/local.settings.json, see local.settings.sample.json).");
        }
        else if (options.SigningKey.Length < MinSigningKeyLength)
        {
            failures.Add($"Chat:SigningKey is too short: use at least {MinSigningKeyLength} characters.");
        }
        for (var i = 0; i < options.PreviousSigningKeys.Count; i++)
        {
            var previous = options.PreviousSigningKeys[i];
            if (!string.IsNullOrWhiteSpace(previous) && previous.Length < MinSigningKeyLength)
            {
                failures.Add($"Chat:PreviousSigningKeys:{i} (app setting 'Chat__PreviousSigningKeys__{i}') is too short: a key that " +
                    $"signed tokens has at least {MinSigningKeyLength} characters. Leave the setting empty when there is no previous key.");
            }
        }
        if (options.LongestPoll < TimeSpan.FromSeconds(1))
        {
            failures.Add($"Chat:MemberTimeoutSeconds ({options.MemberTimeoutSeconds}) is too short for Chat:LastSeenWriteIntervalSeconds " +
                $"({options.LastSeenWriteIntervalSeconds}): a member that keeps polling could expire. Use a member timeout of at least " +
                $"{options.LastSeenWriteIntervalSeconds + (int)ChatOptions.ReconnectAllowance.TotalSeconds + 1} s or write lastSeen more often.");
        }
        if (!Bogus.Database.LocaleResourceExists(options.NameLocale))
        {
            failures.Add($"Chat:NameLocale '{options.NameLocale}' is not a locale Bogus knows (for example zh_CN or en).");
        }
        failures.AddRange(timings.Check(options));
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
