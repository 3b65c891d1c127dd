using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// apiextensions' listtype.ValidateListSetsAndMaps: items of <c>x-kubernetes-list-type: set</c> lists are unique,
/// entries of <c>map</c> lists are objects with unique keys. The second occurrence of a value is reported as
/// <c>Duplicate value</c> (a map entry by its key fields, in Go syntax).
/// </summary>
internal static class ListTypeValidation
{
    public static void Validate(string path, StructuralSchema? s, JsonObject? obj, List<FieldError> errs)
    {
        if (s == null || obj == null) return;
        if (s.AdditionalProperties != null)
            foreach (var (key, value) in obj)
                Value(path + "[" + key + "]", s.AdditionalProperties, value, errs);
        foreach (var (key, value) in obj)
            if (s.Property(key) is { } prop)
                Value(EmbeddedResourceValidation.Child(path, key), prop, value, errs);
    }

    private static void Value(string path, StructuralSchema s, JsonNode? value, List<FieldError> errs)
    {
        switch (value)
        {
            case JsonArray arr: Array(path, s, arr, errs); break;
            case JsonObject obj: Validate(path, s, obj, errs); break;
        }
    }

    private static void Array(string path, StructuralSchema s, JsonArray arr, List<FieldError> errs)
    {
        switch (s.ListType)
        {
            case "set":
                foreach (var i in NonUnique(arr.ToList()))
                    errs.Add(FieldError.Duplicate(Index(path, i), GoValues.BadValue(arr[i])));
                break;
            case "map":
                MapList(path, s, arr, errs);
                break;
        }
        if (s.Items != null)
            for (var i = 0; i < arr.Count; i++)
                Value(Index(path, i), s.Items, arr[i], errs);
    }

    private static string Index(string path, int i) => path + "[" + i + "]";

    /// <summary>The indexes where a value is seen for the second time (not the third, as upstream).</summary>
    private static List<int> NonUnique(IReadOnlyList<JsonNode?> items)
    {
        var result = new List<int>();
        var seen = new List<(JsonNode? Value, int Times)>();
        for (var i = 0; i < items.Count; i++)
        {
            var at = seen.FindIndex(p => GoValues.JsonEquals(p.Value, items[i]));
            if (at < 0) { seen.Add((items[i], 1)); continue; }
            if (seen[at].Times == 1) result.Add(i);
            seen[at] = (seen[at].Value, seen[at].Times + 1);
        }
        return result;
    }

    private static void MapList(string path, StructuralSchema s, JsonArray arr, List<FieldError> errs)
    {
        for (var i = 0; i < arr.Count; i++)
        {
            if (arr[i] is not null and not JsonObject)
            {
                errs.Add(FieldError.Invalid(Index(path, i), GoValues.BadValue(arr[i]), "must be an object for an array of list-type map"));
                return;
            }
        }
        if (arr.Count <= 1) return;
        // The key of each entry: an object of the key fields it has (a missing field is "unspecified").
        var keys = new List<JsonNode?>();
        foreach (var entry in arr)
        {
            var key = new JsonObject();
            if (entry is JsonObject o)
                foreach (var field in s.ListMapKeys)
                    if (o.TryGetPropertyValue(field, out var v)) key[field] = v?.DeepClone();
            keys.Add(key);
        }
        foreach (var i in NonUnique(keys))
            errs.Add(FieldError.Duplicate(Index(path, i), new GoValue(GoValues.GoSyntax(keys[i]))));
    }
}
