using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Data.Tables;
using Azure.Storage.Queues;
using FunctionsChat.DeployTests.Support;
using FunctionsChat.Storage.Azure;
using Microsoft.Extensions.Configuration;

namespace FunctionsChat.DeployTests;

/// <summary>local.settings.sample.json (copied to Functions/local.settings.json for func start) names only settings that are read.</summary>
[Collection(DeploymentCollection.Name)]
public sealed class LocalSettingsSampleTests(CompiledTemplate template)
{
    private static JsonObject Sample() =>
        JsonNode.Parse(Repo.Read("local.settings.sample.json"), documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();

    private static Dictionary<string, string?> Values() =>
        Sample()["Values"]!.AsObject().ToDictionary(p => p.Key, p => p.Value?.GetValue<string>());

    [Fact]
    public void Every_value_in_the_sample_is_read_by_the_chat_code_or_required_by_the_host()
    {
        var known = SettingNames.StorageIdentity.Concat(SettingNames.HostLocal).ToHashSet();

        var unknown = Values().Keys.Where(k => !SettingNames.IsChat(k) && !known.Contains(k)).ToList();

        Assert.True(unknown.Count == 0, $"Values no code reads (renamed in code?): {string.Join(", ", unknown)}");
    }

    [Fact]
    public void The_sample_runs_the_isolated_worker_against_Azurite()
    {
        var values = Values();

        Assert.Equal("dotnet-isolated", values["FUNCTIONS_WORKER_RUNTIME"]);
        Assert.Equal("UseDevelopmentStorage=true", values[SettingNames.StorageConnectionString]);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(SettingNames.AsConfiguration(values)).Build();
        var clients = StorageClientFactory.Create(configuration, new TableClientOptions(), new QueueClientOptions());
        Assert.Equal(new Uri("http://127.0.0.1:10002/devstoreaccount1"), clients.Tables.Uri);
        Assert.Equal(new Uri("http://127.0.0.1:10001/devstoreaccount1"), clients.Queues.Uri);
    }

    [Fact]
    public void The_sample_sets_every_chat_setting_the_deployment_sets_and_they_bind_to_valid_options()
    {
        var values = Values();
        var deployed = template.AppSettings.Settings.Select(p => p.Key).Where(SettingNames.IsChat);

        Assert.All(deployed, name => Assert.Contains(name, values.Keys));

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(SettingNames.AsConfiguration(values)).Build();
        var options = configuration.GetSection(ChatOptions.SectionName).Get<ChatOptions>(o => o.ErrorOnUnknownConfiguration = true)!;
        var errors = new List<ValidationResult>();
        Assert.True(Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true),
            string.Join("; ", errors.Select(e => e.ErrorMessage)));
        Assert.False(string.IsNullOrWhiteSpace(options.SigningKey));
    }

    [Fact]
    public void The_Host_section_gives_func_start_a_port_and_a_CORS_origin_for_the_page()
    {
        var host = Sample()["Host"]!.AsObject();

        Assert.True(host["LocalHttpPort"]!.GetValue<int>() > 0);
        var origins = host["CORS"]!.GetValue<string>().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(origins);
        Assert.All(origins, o => Assert.Matches("^https?://[^/]+$", o));
    }

    [Fact]
    public void The_real_local_settings_file_is_git_ignored()
    {
        var ignored = Repo.Read(".gitignore").Split('\n').Select(l => l.Trim()).ToList();

        Assert.True(ignored.Contains("Functions/local.settings.json") || ignored.Contains("local.settings.json"),
            ".gitignore must keep Functions/local.settings.json (it may hold secrets) out of git");
    }
}
