using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace FunctionsChat.DeployTests.Support;

/// <summary>
/// One template in the compiled ARM JSON: the root (main.bicep) or a module's nested deployment. Enough of ARM's
/// structure to follow a value from a resource property back through module parameters to main.bicep.
/// </summary>
public sealed partial class ArmScope
{
    private ArmScope(string name, JsonObject template, JsonObject? deployment, ArmScope? parent)
    {
        Name = name;
        Template = template;
        Deployment = deployment;
        Parent = parent;
    }

    public static ArmScope Root(JsonObject template) => new("main", template, null, null);

    public string Name { get; }

    public JsonObject Template { get; }

    /// <summary>The Microsoft.Resources/deployments resource in the parent template; null for main.</summary>
    public JsonObject? Deployment { get; }

    public ArmScope? Parent { get; }

    /// <summary>Resources of this template, whether compiled as an array or as symbolic names (languageVersion 2.0).</summary>
    public IEnumerable<JsonObject> Resources => Template["resources"] switch
    {
        JsonArray array => array.Select(r => r!.AsObject()),
        JsonObject map => map.Select(p => p.Value!.AsObject()),
        _ => [],
    };

    public IEnumerable<ArmScope> Modules => Resources
        .Where(r => Str(r["type"]) == "Microsoft.Resources/deployments")
        .Select(r => new ArmScope(Str(r["name"])!, r["properties"]!["template"]!.AsObject(), r, this));

    public ArmScope Module(string name) =>
        Modules.SingleOrDefault(m => m.Name == name) ?? throw new KeyNotFoundException($"No module deployment named '{name}' in {Name}.");

    /// <summary>This scope and every module below it.</summary>
    public IEnumerable<ArmScope> All => new[] { this }.Concat(Modules.SelectMany(m => m.All));

    public IEnumerable<(ArmScope Scope, JsonObject Resource)> ResourcesOfType(string type) =>
        All.SelectMany(s => s.Resources.Where(r => string.Equals(Str(r["type"]), type, StringComparison.OrdinalIgnoreCase)).Select(r => (s, r)));

    public JsonObject ParameterDefinition(string name) =>
        Template["parameters"]?[name]?.AsObject() ?? throw new KeyNotFoundException($"Template {Name} has no parameter '{name}'.");

    /// <summary>What the parent passes for a parameter of this module (null for main, whose values come from azd).</summary>
    public JsonNode? ArgumentFor(string parameter) =>
        Deployment is null
            ? null
            : Deployment["properties"]!["parameters"]?[parameter]?["value"]
              ?? throw new KeyNotFoundException($"Module {Name} is not given parameter '{parameter}'.");

    public JsonNode? Variable(string name) => Template["variables"]?[name];

    /// <summary>
    /// Follows a value of the form [parameters('x')] (optionally wrapped in string()) up through module arguments until it
    /// is something else: a literal, another expression, or a parameter of main.bicep.
    /// </summary>
    public Traced Trace(JsonNode? value)
    {
        var scope = this;
        while (Str(value) is { } text && ParameterReference().Match(text) is { Success: true } match)
        {
            var parameter = match.Groups["name"].Value;
            if (scope.Parent is null)
            {
                return new Traced(scope, parameter, scope.ParameterDefinition(parameter)["defaultValue"]);
            }
            value = scope.ArgumentFor(parameter);
            scope = scope.Parent;
        }
        return new Traced(scope, null, value);
    }

    public static string? Str(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    /// <summary>Is this value a reference to output <paramref name="output"/> of module <paramref name="module"/>?</summary>
    public static bool IsModuleOutput(JsonNode? value, string module, string output) =>
        Str(value) is { } text && ModuleOutputReference().Match(text) is { Success: true } m
        && m.Groups["module"].Value == module && m.Groups["output"].Value == output;

    [GeneratedRegex(@"^\[(?:string\()?parameters\('(?<name>\w+)'\)\)?\]$")]
    private static partial Regex ParameterReference();

    [GeneratedRegex(@"^\[reference\(.*'Microsoft\.Resources/deployments', '(?<module>[^']+)'\).*\)\.outputs\.(?<output>\w+)\.value\]$")]
    private static partial Regex ModuleOutputReference();
}

/// <summary>Where a traced value ended: the scope, the main.bicep parameter it came from (if any), and the value there.</summary>
public sealed record Traced(ArmScope Scope, string? MainParameter, JsonNode? Value);

/// <summary>Resolves the role definition GUIDs a role assignment grants, through the roleIds variable and copy loops.</summary>
public static partial class RoleAssignments
{
    public static IReadOnlyList<string> RoleIds(ArmScope scope, JsonObject assignment)
    {
        var expression = ArmScope.Str(assignment["properties"]?["roleDefinitionId"])
            ?? throw new InvalidOperationException("Role assignment without a roleDefinitionId string.");
        var match = RoleDefinition().Match(expression);
        if (!match.Success)
        {
            throw new InvalidOperationException($"Unrecognised roleDefinitionId expression: {expression}");
        }
        return Resolve(scope, match.Groups["arg"].Value).ToList();
    }

    private static IEnumerable<string> Resolve(ArmScope scope, string argument)
    {
        if (GuidLiteral().Match(argument) is { Success: true } literal)
        {
            return [literal.Groups["id"].Value];
        }
        if (VariableProperty().Match(argument) is { Success: true } property)
        {
            var value = scope.Variable(property.Groups["var"].Value)?[property.Groups["prop"].Value];
            return Resolve(scope, Unwrap(ArmScope.Str(value)));
        }
        if (VariableElement().Match(argument) is { Success: true } element)
        {
            var array = scope.Variable(element.Groups["var"].Value)?.AsArray() ?? throw new InvalidOperationException(argument);
            return array.SelectMany(item => Resolve(scope, Unwrap(ArmScope.Str(item))));
        }
        // A bare GUID string (the value of a roleIds entry).
        if (Guid.TryParse(argument, out _))
        {
            return [argument];
        }
        throw new InvalidOperationException($"Cannot resolve role id argument: {argument}");
    }

    private static string Unwrap(string? text) =>
        text is null ? throw new InvalidOperationException("Expected a string") : text.StartsWith('[') && text.EndsWith(']') ? text[1..^1] : text;

    [GeneratedRegex(@"^\[subscriptionResourceId\('Microsoft\.Authorization/roleDefinitions', (?<arg>.+)\)\]$")]
    private static partial Regex RoleDefinition();

    [GeneratedRegex(@"^'(?<id>[0-9a-fA-F-]{36})'$")]
    private static partial Regex GuidLiteral();

    [GeneratedRegex(@"^variables\('(?<var>\w+)'\)\.(?<prop>\w+)$")]
    private static partial Regex VariableProperty();

    [GeneratedRegex(@"^variables\('(?<var>\w+)'\)\[copyIndex\(\)\]$")]
    private static partial Regex VariableElement();
}
