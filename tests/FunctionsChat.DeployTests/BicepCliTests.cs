using FunctionsChat.DeployTests.Support;

namespace FunctionsChat.DeployTests;

/// <summary>Every .bicep file under infra/ compiles and lints clean with the pinned Bicep CLI.</summary>
public sealed class BicepCliTests
{
    public static TheoryData<string> BicepFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Bicep.Files())
        {
            data.Add(Path.GetRelativePath(Repo.Root, file));
        }
        return data;
    }

    [Fact]
    public void The_infra_folder_holds_main_bicep_and_its_modules()
    {
        var files = Bicep.Files().Select(f => Path.GetRelativePath(Repo.Infra, f)).ToList();

        Assert.Contains("main.bicep", files);
        Assert.Contains(Path.Combine("modules", "functionapp.bicep"), files);
        Assert.True(files.Count >= 5, $"Expected main.bicep and its modules, found: {string.Join(", ", files)}");
    }

    [Fact]
    public async Task The_Bicep_CLI_from_NuGet_is_the_pinned_version()
    {
        var result = await Run.ProcessAsync(Bicep.Executable(), ["--version"], TimeSpan.FromMinutes(1));

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("0.49.2", result.StdOut);
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Each_bicep_file_builds_with_no_errors_and_no_warnings(string file)
    {
        var result = await Bicep.BuildAsync(Repo.PathOf(file));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(Bicep.Diagnostics(result).Count == 0, result.ToString());
        Assert.StartsWith("{", result.StdOut.TrimStart());
    }

    [Theory]
    [MemberData(nameof(BicepFiles))]
    public async Task Each_bicep_file_lints_with_no_errors_and_no_warnings(string file)
    {
        var result = await Bicep.LintAsync(Repo.PathOf(file));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.True(Bicep.Diagnostics(result).Count == 0, result.ToString());
    }

    [Fact]
    public async Task The_diagnostics_check_catches_a_warning()
    {
        // Guards the guard: a file with a known warning must produce a diagnostic line the tests above would count.
        var dir = Directory.CreateTempSubdirectory("bicep-warning-");
        try
        {
            var file = Path.Combine(dir.FullName, "unused.bicep");
            await File.WriteAllTextAsync(file, "param unused string\n");

            var result = await Bicep.LintAsync(file);

            Assert.Contains(Bicep.Diagnostics(result), d => d.Contains("no-unused-params", StringComparison.Ordinal));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
