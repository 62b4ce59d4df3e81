using YamlDotNet.RepresentationModel;

namespace FunctionsChat.ContractTests.Support;

/// <summary>One operation of docs/openapi.yaml: its method, path template, id and the status codes it lists.</summary>
public sealed record DocumentedOperation(string Method, string Path, string OperationId, IReadOnlyList<int> Statuses);

/// <summary>The operations of docs/openapi.yaml, read with a YAML parser.</summary>
public static class OpenApiDocument
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

    public static string FilePath => Path.Combine(Paths.RepoRoot, "docs", "openapi.yaml");

    public static IReadOnlyList<DocumentedOperation> Operations()
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(FilePath))
        {
            stream.Load(reader);
        }
        var paths = (YamlMappingNode)((YamlMappingNode)stream.Documents.Single().RootNode)["paths"];
        return paths.Children.SelectMany(path => ((YamlMappingNode)path.Value).Children
                .Where(item => Methods.Contains(Scalar(item.Key)))
                .Select(item =>
                {
                    var operation = (YamlMappingNode)item.Value;
                    // Numeric codes only: a range such as 4XX stands for the web server's own refusals.
                    var statuses = ((YamlMappingNode)operation["responses"]).Children.Keys.Select(Scalar)
                        .Where(code => code.All(char.IsAsciiDigit)).Select(int.Parse).ToList();
                    return new DocumentedOperation(Scalar(item.Key), Scalar(path.Key), Scalar(operation["operationId"]), statuses);
                }))
            .ToList();
    }

    private static string Scalar(YamlNode node) => ((YamlScalarNode)node).Value ?? "";
}
