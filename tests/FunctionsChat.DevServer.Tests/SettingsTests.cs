using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace FunctionsChat.DevServer.Tests;

public sealed class SettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("devserver-settings-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    // Keys of their own: the test runner's environment variables (which rightly win) must not decide the outcome.
    [Fact]
    public void LocalSettingsValuesAreReadWithDoubleUnderscoreAsColon_AndTheCommandLineWins()
    {
        Directory.CreateDirectory(Path.Combine(_folder, "Functions"));
        File.WriteAllText(Path.Combine(_folder, "Functions", "local.settings.json"), """
            { "IsEncrypted": false, "Values": { "DevServerTests__FromFile": "file", "DevServerTests__Number": 60, "DevServerTests__Overridden": "file" } }
            """);
        var configuration = new ConfigurationManager();

        var file = DevSettings.Load(configuration, ["--DevServerTests:Overridden=command-line"], _folder);

        Assert.Equal(Path.Combine(_folder, "Functions", "local.settings.json"), file);
        Assert.Equal("file", configuration["DevServerTests:FromFile"]);
        Assert.Equal("60", configuration["DevServerTests:Number"]);
        Assert.Equal("command-line", configuration["DevServerTests:Overridden"]);
    }

    [Fact]
    public void WithoutLocalSettingsStorageDefaultsToAzurite()
    {
        var configuration = new ConfigurationManager();

        Assert.Null(DevSettings.Load(configuration, [], _folder));
        Assert.Equal(System.Environment.GetEnvironmentVariable("AzureWebJobsStorage") ?? "UseDevelopmentStorage=true", configuration["AzureWebJobsStorage"]);
    }

    [Fact]
    public void EnvironmentIsDevelopmentUnlessSaidOtherwise()
    {
        var fromEnvironment = System.Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") ?? System.Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT");
        Assert.Equal(string.IsNullOrEmpty(fromEnvironment) ? Environments.Development : fromEnvironment, DevSettings.EnvironmentName([]));
        Assert.Equal("Staging", DevSettings.EnvironmentName(["--environment", "Staging"]));
    }

    [Fact]
    public void AnAlternateAzuritePortPointsTheStorageSettingThere()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("AzureWebJobsStorage", "UseDevelopmentStorage=true"), new(Azurite.BasePortSetting, "20500")]);

        var ports = Azurite.Configure(configuration);

        Assert.Equal(new Azurite.Ports(20500, 20501, 20502), ports);
        Assert.Null(ports!.Location);
        Assert.Contains("QueueEndpoint=http://127.0.0.1:20501/devstoreaccount1", configuration["AzureWebJobsStorage"]);
        Assert.Contains("TableEndpoint=http://127.0.0.1:20502/devstoreaccount1", configuration["AzureWebJobsStorage"]);
    }

    [Fact]
    public void RealStorageNeedsNoAzurite()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection([new("AzureWebJobsStorage", "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=eA==")]);

        Assert.Null(Azurite.Configure(configuration));
    }

    [Fact]
    public void DevelopmentWithoutAKeyGetsOneThatIsSavedAndReused()
    {
        var first = new ConfigurationManager();
        var supplied = DevSigningKey.EnsureForDevelopment(first, Environment(Environments.Development), _folder);
        var second = new ConfigurationManager();
        var again = DevSigningKey.EnsureForDevelopment(second, Environment(Environments.Development), _folder);

        Assert.True(supplied!.Created);
        Assert.False(again!.Created);
        Assert.True(first["Chat:SigningKey"]!.Length >= 32);
        Assert.Equal(first["Chat:SigningKey"], second["Chat:SigningKey"]);
        Assert.Equal(first["Chat:SigningKey"], File.ReadAllText(Path.Combine(_folder, "signing-key")));
    }

    [Fact]
    public void AGivenKeyOrAnotherEnvironmentGetsNothing()
    {
        var given = new ConfigurationManager();
        given.AddInMemoryCollection([new("Chat:SigningKey", "mine")]);
        Assert.Null(DevSigningKey.EnsureForDevelopment(given, Environment(Environments.Development), _folder));
        Assert.Equal("mine", given["Chat:SigningKey"]);

        var production = new ConfigurationManager();
        Assert.Null(DevSigningKey.EnsureForDevelopment(production, Environment(Environments.Production), _folder));
        Assert.Null(production["Chat:SigningKey"]);
        Assert.False(File.Exists(Path.Combine(_folder, "signing-key")));
    }

    private static IHostEnvironment Environment(string name) => new HostingEnvironmentStub { EnvironmentName = name };

    private sealed class HostingEnvironmentStub : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = "";
        public string ApplicationName { get; set; } = "DevServer";
        public string ContentRootPath { get; set; } = "";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}
