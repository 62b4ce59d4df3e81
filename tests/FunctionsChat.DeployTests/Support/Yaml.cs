using YamlDotNet.RepresentationModel;

namespace FunctionsChat.DeployTests.Support;

public static class Yaml
{
    public static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    public static YamlMappingNode Map(YamlNode node, params string[] path) => (YamlMappingNode)At(node, path);

    public static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value ?? "";

    public static YamlNode At(YamlNode node, params string[] path)
    {
        foreach (var key in path)
        {
            var map = node as YamlMappingNode ?? throw new KeyNotFoundException($"'{key}': parent is not a mapping");
            node = map.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : throw new KeyNotFoundException($"no key '{key}'");
        }
        return node;
    }

    public static bool Has(YamlNode node, params string[] path)
    {
        try
        {
            At(node, path);
            return true;
        }
        catch (KeyNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Every scalar anywhere below the node, for "is this command run somewhere" checks.</summary>
    public static IEnumerable<string> Scalars(YamlNode node) => node switch
    {
        YamlScalarNode s => [s.Value ?? ""],
        YamlMappingNode m => m.Children.SelectMany(p => Scalars(p.Key).Concat(Scalars(p.Value))),
        YamlSequenceNode q => q.Children.SelectMany(Scalars),
        _ => [],
    };
}
