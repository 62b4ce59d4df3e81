using Microsoft.Extensions.Configuration;

namespace FunctionsChat.DevServer.Tests;

/// <summary>Where DevServer's CORS origins come from (the HTTP behaviour is tested in the reliability tests).</summary>
public sealed class CorsSettingsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("devserver-cors-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string SettingsFile(string hostSection)
    {
        var file = Path.Combine(_folder, "local.settings.json");
        File.WriteAllText(file, $$"""{ "IsEncrypted": false, "Values": {}, "Host": {{hostSection}} }""");
        return file;
    }

    private static ConfigurationManager Configuration(string? corsOrigins = null)
    {
        var configuration = new ConfigurationManager();
        if (corsOrigins is not null)
        {
            configuration.AddInMemoryCollection([new(DevSecurity.CorsOriginsSetting, corsOrigins)]);
        }
        return configuration;
    }

    [Fact]
    public void NothingConfiguredAllowsNoOrigin()
    {
        var settings = DevSecurity.ReadCors(Configuration(), settingsFile: null);

        Assert.Empty(settings.Origins);
        Assert.False(settings.AllowsAnyOrigin);
    }

    [Fact]
    public void HostCorsInLocalSettingsIsReadLikeFuncStartDoes()
    {
        var file = SettingsFile("""{ "LocalHttpPort": 7071, "CORS": "http://localhost:5500, https://chat.example.com/", "CORSCredentials": true }""");

        var settings = DevSecurity.ReadCors(Configuration(), file);

        Assert.Equal(["http://localhost:5500", "https://chat.example.com"], settings.Origins);
        Assert.True(settings.AllowCredentials);
    }

    [Fact]
    public void TheDevServerSettingWinsOverHostCors()
    {
        var file = SettingsFile("""{ "CORS": "http://from-file.example" }""");

        var settings = DevSecurity.ReadCors(Configuration("http://a.example,http://b.example"), file);

        Assert.Equal(["http://a.example", "http://b.example"], settings.Origins);
        Assert.Equal(DevSecurity.CorsOriginsSetting, settings.Source);
    }

    [Fact]
    public void AWildcardIsHonouredOnlyWhenWrittenOut()
    {
        Assert.True(DevSecurity.ReadCors(Configuration("*"), null).AllowsAnyOrigin);
        Assert.False(DevSecurity.ReadCors(Configuration(), SettingsFile("""{ "LocalHttpPort": 7071 }""")).AllowsAnyOrigin);
    }

    [Fact]
    public void ThePageHeaderPolicyForbidsInlineScript()
    {
        var directives = DevSecurity.PageContentSecurityPolicy.Split(';', StringSplitOptions.TrimEntries);

        Assert.Contains("script-src 'self'", directives);
        Assert.Contains("frame-ancestors 'none'", directives);
        Assert.DoesNotContain("unsafe", DevSecurity.PageContentSecurityPolicy);
    }
}
