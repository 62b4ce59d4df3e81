namespace FunctionsChat.BrowserTests.Support;

/// <summary>Folders of the checkout, found from where the tests run (bin/...) rather than from the build machine.</summary>
public static class RepoFolders
{
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// docs/screenshots when CHAT_UPDATE_SCREENSHOTS=1 (to refresh the README's pictures), otherwise TestResults, so a
    /// test run leaves the working tree clean.
    /// </summary>
    public static string Screenshots => Environment.GetEnvironmentVariable("CHAT_UPDATE_SCREENSHOTS") == "1"
        ? Path.Combine(Root, "docs", "screenshots")
        : Path.Combine(Root, "TestResults", "screenshots");

    private static string FindRoot()
    {
        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "FunctionsChat.sln")))
            {
                return folder.FullName;
            }
        }
        throw new InvalidOperationException($"No FunctionsChat.sln above {AppContext.BaseDirectory}.");
    }
}
