using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Patches;

/// <summary>
/// JSON merge patch (RFC 7386, <c>application/merge-patch+json</c>) with the details of
/// evanphx/json-patch that kube-apiserver uses: nulls inside newly added objects are pruned (also in
/// objects nested in arrays), null array elements are kept, and a patch that is not an object or
/// array is rejected with 400 "Invalid JSON Patch".
/// </summary>
public static class JsonMergePatch
{
    /// <summary>Applies <paramref name="patch"/> to a copy of <paramref name="target"/>; neither input is modified.</summary>
    /// <exception cref="StatusError">400 BadRequest "Invalid JSON Patch" when the patch is null or a scalar.</exception>
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        switch (patch)
        {
            case JsonObject patchObject:
                if (target is JsonObject targetObject)
                {
                    var result = (JsonObject)targetObject.DeepClone();
                    MergeInto(result, patchObject);
                    return result;
                }
                return Pruned(patchObject);
            case JsonArray patchArray:
                return Pruned(patchArray);
            default:
                throw StatusError.BadRequest("Invalid JSON Patch");
        }
    }

    private static void MergeInto(JsonObject doc, JsonObject patch)
    {
        foreach (var (key, value) in patch)
        {
            if (value is null)
            {
                doc.Remove(key);
                continue;
            }
            if (!doc.TryGetPropertyValue(key, out var current) || current is null)
            {
                doc[key] = Pruned(value);
            }
            else if (current is JsonObject currentObject)
            {
                if (value is JsonObject valueObject) MergeInto(currentObject, valueObject);
                else doc[key] = value.DeepClone(); // evanphx does not prune here
            }
            else
            {
                doc[key] = Pruned(value);
            }
        }
    }

    /// <summary>A copy without null members in objects (at any depth); null array elements stay.</summary>
    internal static JsonNode? Pruned(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var (k, v) in o)
                    if (v is not null) copy[k] = Pruned(v);
                return copy;
            case JsonArray a:
                var list = new JsonArray();
                foreach (var v in a) list.Add(Pruned(v));
                return list;
            default:
                return node?.DeepClone();
        }
    }
}
