using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry;

/// <summary>The <c>namespaces/{name}/finalize</c> write: only spec.finalizers changes, everything else is kept.</summary>
internal sealed class FinalizeSubresourceStrategy(ResourceStrategy main) : ResourceStrategy
{
    public override NameRule NameRule => main.NameRule;

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        var finalizers = obj["spec"]?["finalizers"]?.DeepClone();
        foreach (var key in obj.Select(p => p.Key).ToList()) obj.Remove(key);
        foreach (var (key, value) in old) obj[key] = value?.DeepClone();
        var spec = obj["spec"] as JsonObject ?? new JsonObject();
        obj["spec"] = spec;
        if (finalizers is JsonArray { Count: > 0 }) spec["finalizers"] = finalizers;
        else spec.Remove("finalizers");
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => [];

    public override bool BlocksDeletion(JsonObject obj) => main.BlocksDeletion(obj);
}
