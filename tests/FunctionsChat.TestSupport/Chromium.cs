namespace FunctionsChat.TestSupport;

/// <summary>
/// Debian's Chromium, driven by Playwright through <c>ExecutablePath</c>: Playwright's own browser downloads cannot be
/// had here, and the tests must never depend on them. A missing Chromium fails every test with one clear message.
/// </summary>
public static class Chromium
{
    public const string PathVariable = "CHAT_CHROMIUM_PATH";
    public const string DefaultPath = "/usr/bin/chromium";

    public static readonly string[] LaunchArgs =
    [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ];

    /// <summary>The Chromium to launch: <c>$CHAT_CHROMIUM_PATH</c>, else /usr/bin/chromium. Throws when it is not there.</summary>
    public static string ExecutablePath()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(PathVariable);
        var path = string.IsNullOrWhiteSpace(fromEnvironment) ? DefaultPath : fromEnvironment;
        if (!File.Exists(path))
        {
            throw new InvalidOperationException(
                $"Chromium was not found at {path} ({(string.IsNullOrWhiteSpace(fromEnvironment) ? "the default" : $"from {PathVariable}")}). " +
                "The browser tests drive Debian's Chromium and are never skipped: install it with " +
                "`apt-get install -y chromium fonts-wqy-microhei` (scripts/test.sh does this when it is missing), " +
                $"or set {PathVariable} to a Chromium executable.");
        }
        return path;
    }
}
