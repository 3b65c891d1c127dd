using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.CustomResources;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.CustomResources;

/// <summary>
/// The strategy of one served custom resource version (apiextensions-apiserver's customresource strategy):
/// schema defaults, pruning of unknown fields, schema validation, generation on every non-status change.
/// </summary>
internal sealed class CustomResourceStrategy(CustomResourceSchema schema, bool hasStatus) : ResourceStrategy
{
    public override bool HasStatus => hasStatus;

    /// <summary>Prune, then default, as apiextensions-apiserver does before validation.</summary>
    public override void Default(JsonObject obj)
    {
        schema.Prune(obj);
        schema.Default(obj);
    }

    public override void PrepareForCreate(JsonObject obj)
    {
        base.PrepareForCreate(obj);
        if (obj["metadata"] is JsonObject meta) meta["generation"] = 1;
    }

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        if (HasStatus)
        {
            if (old["status"] is { } status) obj["status"] = status.DeepClone();
            else obj.Remove("status");
        }
        // Custom resources count every change outside metadata (and status, when it is a subresource).
        var oldGen = old["metadata"]?["generation"] is JsonValue g && g.TryGetValue<long>(out var v) ? v : 1;
        if (obj["metadata"] is JsonObject meta) meta["generation"] = ChangedOutsideMetadata(obj, old) ? oldGen + 1 : oldGen;
    }

    private static bool ChangedOutsideMetadata(JsonObject obj, JsonObject old)
    {
        var keys = obj.Select(p => p.Key).Concat(old.Select(p => p.Key)).Distinct();
        return keys.Any(k => k is not ("metadata" or "status" or "apiVersion" or "kind") && !JsonNode.DeepEquals(obj[k], old[k]));
    }

    public override IEnumerable<FieldError> Validate(JsonObject obj) => [.. schema.ValidateTypeMeta(obj), .. schema.Validate(obj)];

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => schema.ValidateUpdate(obj, old);
}
