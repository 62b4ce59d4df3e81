using YamlDotNet.RepresentationModel;

namespace FunctionsChat.ReliabilityTests.Support;

/// <summary>
/// The length limits docs/openapi.yaml promises, so the fuzzer probes the edges the document states: if the document
/// and the API ever disagree, the fuzzer's "over the limit gets 400, up to it is stored" fails.
/// </summary>
public static class DocumentLimits
{
    private static readonly YamlMappingNode Schemas = Load();

    /// <summary>A message's text, in characters (code points) after trimming.</summary>
    public static int MaxTextLength { get; } = MaxLength("MessageText");

    public static int MaxClientMessageIdLength { get; } = MaxLength("SendRequest", "properties", "clientMessageId");

    private static int MaxLength(params string[] path)
    {
        YamlNode node = Schemas;
        foreach (var key in path)
        {
            node = ((YamlMappingNode)node)[key];
        }
        return int.Parse(((YamlScalarNode)((YamlMappingNode)node)["maxLength"]).Value!, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static YamlMappingNode Load()
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(Paths.RepoRoot, "docs", "openapi.yaml"));
        stream.Load(reader);
        return (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)stream.Documents.Single().RootNode)["components"])["schemas"];
    }
}
