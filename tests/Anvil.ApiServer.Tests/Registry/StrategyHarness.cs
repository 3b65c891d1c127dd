using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Tests.Registry;

/// <summary>Runs a strategy the way the generic store does, and compares JSON with sorted keys.</summary>
internal static class StrategyHarness
{
    public static (JsonObject Obj, List<string> Errors) Create(ResourceStrategy strategy, string json, bool namespaced = true)
    {
        var obj = JsonNode.Parse(json)!.AsObject();
        var meta = obj["metadata"] as JsonObject ?? new JsonObject();
        obj["metadata"] = meta;
        if (namespaced && meta["namespace"] is null) meta["namespace"] = "default";
        meta["uid"] ??= "0cd26dd5-88a2-4a5f-a203-ea19a1d5d578";
        strategy.Default(obj);
        strategy.PrepareForCreate(obj);
        var errors = ObjectMetaValidation.ValidateObjectMeta(obj["metadata"] as JsonObject, namespaced, strategy.NameRule)
            .Concat(strategy.Validate(obj)).Select(e => e.ToString()).ToList();
        return (obj, errors);
    }

    public static List<string> Errors(ResourceStrategy strategy, string json, bool namespaced = true) => Create(strategy, json, namespaced).Errors;

    public static (JsonObject Obj, List<string> Errors) Update(ResourceStrategy strategy, JsonObject old, string json)
    {
        var obj = JsonNode.Parse(json)!.AsObject();
        strategy.Default(obj);
        strategy.PrepareForUpdate(obj, old);
        var errors = strategy.ValidateUpdate(obj, old).Select(e => e.ToString()).ToList();
        return (obj, errors);
    }

    /// <summary>JSON with object keys sorted, as kubectl's YAML output orders them.</summary>
    public static string Canonical(JsonNode? node) => Sort(node)?.ToJsonString() ?? "null";

    static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
        JsonArray a => new JsonArray(a.Select(Sort).ToArray()),
        null => null,
        _ => node.DeepClone(),
    };

    public static void AssertJsonEqual(string expected, JsonNode? actual) =>
        Assert.Equal(Canonical(JsonNode.Parse(expected)), Canonical(actual));
}
