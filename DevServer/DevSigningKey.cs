using System.Security.Cryptography;

namespace FunctionsChat.DevServer;

/// <summary>
/// In Development a missing <c>Chat:SigningKey</c> is generated once and kept in <c>.devdata/signing-key</c>, so tokens
/// survive restarts and every DevServer on this clone (two instances, one Azurite) accepts the others' tokens.
/// Outside Development nothing is supplied, and the options validation stops startup with its message.
/// </summary>
public static class DevSigningKey
{
    public const string Setting = "Chat:SigningKey";

    public sealed record Supplied(string File, bool Created);

    public static Supplied? EnsureForDevelopment(ConfigurationManager configuration, IHostEnvironment environment, string folder)
    {
        if (!string.IsNullOrWhiteSpace(configuration[Setting]) || !environment.IsDevelopment())
        {
            return null;
        }
        var file = Path.Combine(folder, "signing-key");
        var (key, created) = ReadOrCreate(file);
        configuration.AddInMemoryCollection([new(Setting, key)]);
        return new Supplied(file, created);
    }

    public static (string Key, bool Created) ReadOrCreate(string file)
    {
        if (Read(file) is { } existing)
        {
            return (existing, false);
        }
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        var temp = $"{file}.{Guid.NewGuid():N}.tmp";
        File.WriteAllText(temp, Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        var created = true;
        try
        {
            // No overwrite: when two instances start at once, the first key written wins and both use it.
            File.Move(temp, file, overwrite: false);
        }
        catch (IOException) when (File.Exists(file))
        {
            File.Delete(temp);
            created = false;
        }
        return (Read(file) ?? throw new DevServerException($"Could not read the development signing key from {file}."), created);
    }

    private static string? Read(string file) =>
        File.Exists(file) && File.ReadAllText(file).Trim() is { Length: > 0 } key ? key : null;
}
