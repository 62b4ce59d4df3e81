using System.Security.Cryptography;

namespace FunctionsChat.TestSupport;

/// <summary>Environment variables for DevServer instances that share the Azurite on 127.0.0.1:10000-10002.</summary>
public static class ChatEnvironment
{
    /// <summary>Every test client joins from 127.0.0.1, so the per-address join limit is raised to its maximum.</summary>
    public const string JoinLimitForTests = "100000";

    /// <summary>
    /// A fresh signing key each call: instances that must accept each other's tokens share one dictionary. The join
    /// limit (30 a minute per address by default) is lifted: all test traffic comes from one address, and the limit
    /// itself is tested by the unit tests (JoinLimitTests).
    /// </summary>
    public static Dictionary<string, string> OnSharedAzurite() => new()
    {
        ["Chat__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
        ["Chat__JoinLimitPerMinute"] = JoinLimitForTests,
        // Off here because these tests count poll answers and storage calls per message; the browser and contract
        // tests turn them on (WithRoomNotices), and the unit tests cover them (RoomNoticeTests).
        ["Chat__RoomNotices"] = "false",
    };

    /// <summary>Join, leave, rename and expiry notices on, as in the app's default.</summary>
    public static Dictionary<string, string> WithRoomNotices(this Dictionary<string, string> environment)
    {
        environment["Chat__RoomNotices"] = "true";
        return environment;
    }
}
