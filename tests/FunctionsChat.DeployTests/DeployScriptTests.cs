using System.Text.RegularExpressions;
using FunctionsChat.DeployTests.Support;

namespace FunctionsChat.DeployTests;

/// <summary>
/// The azd hooks, run for real with bash: publish-site.sh in its offline --stage-only mode, and ensure-signing-key.sh
/// against a stand-in `azd` that keeps environment values in a file.
/// </summary>
public sealed partial class DeployScriptTests : IDisposable
{
    private const string ApiBaseUrl = "https://func-abc123.azurewebsites.net/api";
    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("functionschat-hooks-");

    public void Dispose() => _work.Delete(recursive: true);

    private static string Script(string name) => Repo.PathOf("infra", "scripts", name);

    private Task<RunResult> Stage(string apiBaseUrl, string dest) =>
        Run.ProcessAsync("bash", [Script("publish-site.sh"), "--stage-only", dest], TimeSpan.FromMinutes(1),
            environment: new Dictionary<string, string?> { ["API_BASE_URL"] = apiBaseUrl });

    [Fact]
    public async Task The_staged_site_has_config_js_pointing_at_the_deployed_API_and_the_repo_copy_is_untouched()
    {
        var original = Repo.Read("StaticSite", "config.js");
        var dest = Path.Combine(_work.FullName, "site");

        var result = await Stage(ApiBaseUrl, dest);

        Assert.True(result.ExitCode == 0, result.ToString());
        var config = await File.ReadAllTextAsync(Path.Combine(dest, "config.js"));
        Assert.Contains($"export const apiBase = '{ApiBaseUrl}';", config);
        Assert.DoesNotContain("'/api'", config);
        Assert.Equal(original, Repo.Read("StaticSite", "config.js"));
        var sourceFiles = Directory.EnumerateFiles(Repo.PathOf("StaticSite"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Repo.PathOf("StaticSite"), f));
        Assert.All(sourceFiles, f => Assert.True(File.Exists(Path.Combine(dest, f)), $"{f} was not staged"));
    }

    [Fact]
    public async Task The_staged_config_js_is_an_ES_module_whose_apiBase_is_the_API_URL()
    {
        var dest = Path.Combine(_work.FullName, "site");
        var staged = await Stage(ApiBaseUrl, dest);
        Assert.True(staged.ExitCode == 0, staged.ToString());

        var url = new Uri(Path.Combine(dest, "config.js")).AbsoluteUri;
        var result = await Run.ProcessAsync("node", ["--input-type=module", "-e", $"const m = await import('{url}'); console.log(m.apiBase);"], TimeSpan.FromMinutes(1));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(ApiBaseUrl, result.StdOut.Trim());
    }

    [Fact]
    public async Task Every_staged_page_with_a_content_security_policy_may_connect_to_the_API_origin()
    {
        var dest = Path.Combine(_work.FullName, "site");

        var result = await Stage(ApiBaseUrl, dest);

        Assert.True(result.ExitCode == 0, result.ToString());
        var pages = Directory.EnumerateFiles(dest, "*.html", SearchOption.AllDirectories).ToList();
        Assert.NotEmpty(pages);
        foreach (var page in pages)
        {
            var html = await File.ReadAllTextAsync(page);
            var policy = CspMeta().Match(html);
            if (!policy.Success)
            {
                continue;
            }
            var directives = policy.Groups["policy"].Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            var connect = directives.FirstOrDefault(d => d.StartsWith("connect-src ", StringComparison.Ordinal))
                ?? directives.FirstOrDefault(d => d.StartsWith("default-src ", StringComparison.Ordinal));
            Assert.True(connect is not null, $"{page}: the policy has neither connect-src nor default-src");
            Assert.Contains("https://func-abc123.azurewebsites.net", connect!.Split(' '));

            // Nothing but the policy line changes.
            var original = File.ReadAllLines(Repo.PathOf("StaticSite", Path.GetRelativePath(dest, page)));
            var staged = await File.ReadAllLinesAsync(page);
            Assert.Equal(original.Length, staged.Length);
            var changed = staged.Where((line, i) => line != original[i]).ToList();
            Assert.Single(changed);
            Assert.All(changed, line => Assert.Contains("Content-Security-Policy", line));
        }
    }

    [Theory]
    [InlineData("https://func.example.net/api';alert(1);//")]
    [InlineData("javascript:alert(1)")]
    [InlineData("https://func.example.net/api#x")]
    public async Task An_API_URL_that_could_break_out_of_config_js_is_refused(string apiBaseUrl)
    {
        var result = await Stage(apiBaseUrl, Path.Combine(_work.FullName, "site"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("not a plain http(s) URL", result.StdErr);
    }

    [Fact]
    public async Task A_new_environment_gets_a_random_signing_key_once_and_keeps_it()
    {
        var first = await EnsureKey();
        var key = StoredKey();
        var second = await EnsureKey();

        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.NotNull(key);
        Assert.True(key!.Length >= 32, $"generated key has {key.Length} characters");
        Assert.Matches("^[A-Za-z0-9_-]+$", key);
        Assert.Equal(key, StoredKey());
    }

    [Fact]
    public async Task Two_new_environments_get_different_keys()
    {
        await EnsureKey();
        var one = StoredKey();
        File.Delete(StorePath);
        await EnsureKey();

        Assert.NotEqual(one, StoredKey());
    }

    [Fact]
    public async Task In_CI_a_missing_signing_key_fails_instead_of_generating_one()
    {
        var result = await EnsureKey(("GITHUB_ACTIONS", "true"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CHAT_SIGNING_KEY is not set", result.StdErr);
        Assert.Null(StoredKey());
    }

    [Fact]
    public async Task In_CI_the_key_from_the_secret_is_stored_in_the_azd_environment()
    {
        var secret = new string('s', 48);

        var result = await EnsureKey(("GITHUB_ACTIONS", "true"), ("CHAT_SIGNING_KEY", secret));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(secret, StoredKey());
    }

    [Fact]
    public async Task A_signing_key_shorter_than_32_characters_is_refused()
    {
        var result = await EnsureKey(("CHAT_SIGNING_KEY", "too-short"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("at least 32", result.StdErr);
    }

    [Fact]
    public async Task In_CI_the_previous_key_from_its_secret_is_stored_next_to_the_signing_key()
    {
        var (secret, previous) = (new string('s', 48), new string('p', 48));

        var result = await EnsureKey(("GITHUB_ACTIONS", "true"), ("CHAT_SIGNING_KEY", secret), ("CHAT_PREVIOUS_SIGNING_KEY", previous));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(secret, StoredKey());
        Assert.Equal(previous, StoredKey("CHAT_PREVIOUS_SIGNING_KEY"));
    }

    [Fact]
    public async Task Without_a_previous_key_none_is_stored_and_a_stored_one_is_kept()
    {
        Assert.True((await EnsureKey()).ExitCode == 0);
        Assert.Null(StoredKey("CHAT_PREVIOUS_SIGNING_KEY"));

        var previous = new string('p', 40);
        File.AppendAllLines(StorePath, [$"CHAT_PREVIOUS_SIGNING_KEY={previous}"]);
        Assert.True((await EnsureKey()).ExitCode == 0);
        Assert.Equal(previous, StoredKey("CHAT_PREVIOUS_SIGNING_KEY"));
    }

    [Fact]
    public async Task A_previous_key_shorter_than_32_characters_is_refused()
    {
        var result = await EnsureKey(("CHAT_PREVIOUS_SIGNING_KEY", "too-short"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("CHAT_PREVIOUS_SIGNING_KEY must be empty or at least 32", result.StdErr);
    }

    private string StorePath => Path.Combine(_work.FullName, "azd-env");

    private string? StoredKey(string name = "CHAT_SIGNING_KEY") =>
        File.Exists(StorePath)
            ? File.ReadAllLines(StorePath).Where(l => l.StartsWith($"{name}=", StringComparison.Ordinal)).Select(l => l[(name.Length + 1)..]).LastOrDefault()
            : null;

    private async Task<RunResult> EnsureKey(params (string Name, string Value)[] extra)
    {
        var bin = Path.Combine(_work.FullName, "bin");
        Directory.CreateDirectory(bin);
        var fakeAzd = Path.Combine(bin, "azd");
        // Just enough of azd: `env get-value NAME` (exit 1 when missing) and `env set NAME VALUE`.
        await File.WriteAllTextAsync(fakeAzd, """
            #!/usr/bin/env bash
            set -euo pipefail
            store="$FAKE_AZD_STORE"
            touch "$store"
            if [[ "$1 $2" == "env get-value" ]]; then
              line="$(grep -m1 "^$3=" "$store" || true)"
              [[ -n "$line" ]] || { echo "ERROR: key '$3' not found in the environment values" >&2; exit 1; }
              echo "${line#*=}"
            elif [[ "$1 $2" == "env set" ]]; then
              grep -v "^$3=" "$store" > "$store.tmp" || true
              echo "$3=$4" >> "$store.tmp"
              mv "$store.tmp" "$store"
            else
              echo "fake azd: unsupported $*" >&2; exit 2
            fi
            """.Replace("\r\n", "\n"));
        File.SetUnixFileMode(fakeAzd, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var environment = new Dictionary<string, string?>
        {
            ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}",
            ["FAKE_AZD_STORE"] = StorePath,
            // The test runner itself may run in CI: start every case from a clean slate.
            ["CI"] = null,
            ["GITHUB_ACTIONS"] = null,
            ["TF_BUILD"] = null,
            ["CHAT_SIGNING_KEY"] = null,
            ["CHAT_PREVIOUS_SIGNING_KEY"] = null,
        };
        foreach (var (name, value) in extra)
        {
            environment[name] = value;
        }
        return await Run.ProcessAsync("bash", [Script("ensure-signing-key.sh")], TimeSpan.FromMinutes(1), environment: environment);
    }

    [GeneratedRegex(""""<meta\s+http-equiv="Content-Security-Policy"\s+content="(?<policy>[^"]*)"""", RegexOptions.IgnoreCase)]
    private static partial Regex CspMeta();
}
