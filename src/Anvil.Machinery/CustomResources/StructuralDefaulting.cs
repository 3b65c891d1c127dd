using System.Text.Json.Nodes;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// apiextensions' structural defaulting: nulls where the schema is not nullable and has no default are dropped
/// (PruneNonNullableNullsWithoutDefaults), then each present object gets the defaults of its absent (or
/// non-nullable null) properties, deep-copied, and defaulting descends into every present value, including
/// the ones just defaulted. Absent parents are not created.
/// </summary>
internal static class StructuralDefaulting
{
    public static void PruneNonNullableNullsWithoutDefaults(JsonNode? x, StructuralSchema? s)
    {
        switch (x)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var schema = FieldSchema(key, s);
                    var value = obj[key];
                    if (value is null && schema != null && !schema.Nullable && schema.Default is null) obj.Remove(key);
                    else PruneNonNullableNullsWithoutDefaults(value, schema);
                }
                break;
            case JsonArray arr:
                foreach (var item in arr) PruneNonNullableNullsWithoutDefaults(item, s?.Items);
                break;
        }
    }

    private static StructuralSchema? FieldSchema(string key, StructuralSchema? s) =>
        s == null ? null : s.Property(key) ?? s.AdditionalProperties;

    private static bool IsNonNullableNull(JsonNode? x, StructuralSchema? s) => x is null && s != null && !s.Nullable;

    public static void Default(JsonNode? x, StructuralSchema? s)
    {
        if (s == null) return;
        switch (x)
        {
            case JsonObject obj:
                foreach (var (name, prop) in s.PropertyList)
                {
                    if (!prop.HasDefault || prop.Default is null) continue;
                    if (!obj.TryGetPropertyValue(name, out var current) || IsNonNullableNull(current, prop))
                        obj[name] = prop.Default.DeepClone();
                }
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    if (s.Property(key) is { } prop) Default(obj[key], prop);
                    else if (s.AdditionalProperties is { } ap)
                    {
                        if (IsNonNullableNull(obj[key], ap) && ap.Default is not null) obj[key] = ap.Default.DeepClone();
                        Default(obj[key], ap);
                    }
                }
                break;
            case JsonArray arr:
                for (var i = 0; i < arr.Count; i++)
                {
                    if (IsNonNullableNull(arr[i], s.Items) && s.Items!.Default is not null) arr[i] = s.Items.Default.DeepClone();
                    Default(arr[i], s.Items);
                }
                break;
        }
    }
}
