using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// The strategy of a <c>/status</c> write: everything but <c>status</c> (and metadata other than labels,
/// annotations and finalizers... kept as sent) comes from the stored object, as upstream status strategies reset spec.
/// </summary>
internal sealed class StatusSubresourceStrategy(ResourceStrategy main) : ResourceStrategy
{
    public override bool HasStatus => true;
    public override NameRule NameRule => main.NameRule;

    public override void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        foreach (var (key, value) in old)
        {
            if (key is "status" or "metadata" or "apiVersion" or "kind") continue;
            obj[key] = value?.DeepClone();
        }
        foreach (var key in obj.Select(p => p.Key).ToList())
            if (key is not ("status" or "metadata" or "apiVersion" or "kind") && !old.ContainsKey(key)) obj.Remove(key);
    }

    public override IEnumerable<FieldError> ValidateUpdate(JsonObject obj, JsonObject old) => [];
}
