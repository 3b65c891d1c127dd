using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// ObjectMeta as Go serialises it: empty maps and lists are omitted (omitempty), so a patch that removes
/// the last label leaves no <c>labels: {}</c> behind.
/// </summary>
internal static class MetadataCanonical
{
    private static readonly string[] OmitEmpty = ["labels", "annotations", "finalizers", "ownerReferences", "managedFields"];

    public static void DropEmpty(JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject meta) return;
        foreach (var field in OmitEmpty)
        {
            if (meta[field] is JsonObject { Count: 0 } or JsonArray { Count: 0 } || meta.ContainsKey(field) && meta[field] is null)
                meta.Remove(field);
        }
    }
}
