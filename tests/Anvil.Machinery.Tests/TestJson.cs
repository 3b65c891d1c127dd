using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;

namespace Anvil.Machinery.Tests;

/// <summary>Helpers shared by the patch, validation and YAML tests.</summary>
internal static class TestJson
{
    private static readonly Lazy<SchemaRegistry> LazyRegistry = new(() =>
    {
        var registry = new SchemaRegistry();
        foreach (var file in Directory.GetFiles("/work/shared/k8s-api/openapi-v3", "*.json"))
            registry.AddOpenApiV3((JsonObject)JsonNode.Parse(File.ReadAllText(file))!);
        return registry;
    });

    public static SchemaRegistry Registry => LazyRegistry.Value;

    public static SchemaNode Kind(string apiVersion, string kind) =>
        Registry.ForKind(GroupVersionKind.FromApiVersion(apiVersion, kind)) ?? throw new InvalidOperationException(kind);

    public static JsonNode? Parse(string json) => JsonNode.Parse(json);

    public static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    /// <summary>Compact JSON with object keys sorted (list order kept), for order-insensitive object comparison.</summary>
    public static string Canon(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject o => "{" + string.Join(",", o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => System.Text.Json.JsonSerializer.Serialize(p.Key) + ":" + Canon(p.Value))) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Canon)) + "]",
        _ => node.ToJsonString(),
    };

    public static string Canon(string json) => Canon(JsonNode.Parse(json));
}
