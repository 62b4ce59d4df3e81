using System.Security.Cryptography;

namespace FunctionsChat.TestSupport;

/// <summary>Environment variables for DevServer instances that share the Azurite on 127.0.0.1:10000-10002.</summary>
public static class ChatEnvironment
{
    /// <summary>A fresh signing key each call: instances that must accept each other's tokens share one dictionary.</summary>
    public static Dictionary<string, string> OnSharedAzurite() => new()
    {
        ["Chat__SigningKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)),
        ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true",
    };
}
