using FunctionsChat.DeployTests.Support;

namespace FunctionsChat.DeployTests;

/// <summary>The project can be reused: one licence, MIT, named alike by the LICENSE file, the API document and the README.</summary>
public sealed class LicenseTests
{
    [Fact]
    public void The_repository_is_licensed_under_MIT()
    {
        var license = Repo.Read("LICENSE");
        Assert.StartsWith("MIT License", license, StringComparison.Ordinal);
        Assert.Contains("Permission is hereby granted, free of charge", license, StringComparison.Ordinal);
    }

    [Fact]
    public void The_API_document_names_the_same_licence_by_its_SPDX_id()
    {
        var document = Yaml.Load(Repo.PathOf("docs", "openapi.yaml"));
        Assert.Equal("MIT", Yaml.Text(document, "info", "license", "identifier"));
    }

    [Fact]
    public void The_README_says_which_licence_applies()
    {
        Assert.Contains("[MIT licence](LICENSE)", Repo.Read("README.md"), StringComparison.Ordinal);
    }
}
