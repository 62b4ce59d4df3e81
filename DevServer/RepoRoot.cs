namespace FunctionsChat.DevServer;

/// <summary>The repository root: the nearest folder above us that holds package.json (Azurite is pinned there).</summary>
public static class RepoRoot
{
    /// <summary>
    /// Walks up from the current directory (where <c>dotnet run --project DevServer</c> is typed), then from the app's
    /// own folder (<c>DevServer/bin/...</c>, when started from elsewhere).
    /// </summary>
    public static string? Find() => FindFrom(Environment.CurrentDirectory) ?? FindFrom(AppContext.BaseDirectory);

    public static string? FindFrom(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "package.json")))
            {
                return dir.FullName;
            }
        }
        return null;
    }
}
