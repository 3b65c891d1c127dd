using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Validation;

/// <summary>Tolerant readers for JSON object fields: a value of the wrong type reads as absent.</summary>
public static class JsonRead
{
    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static long? Int(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.Number) return null;
        if (v.TryGetValue<long>(out var l)) return l;
        if (v.TryGetValue<double>(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e18) return (long)d;
        if (v.TryGetValue<int>(out var i)) return i;
        return null;
    }

    public static bool? Bool(JsonNode? node) => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
        ? v.GetValueKind() == JsonValueKind.True : null;

    public static JsonObject? Obj(JsonNode? node) => node as JsonObject;

    public static JsonArray? Arr(JsonNode? node) => node as JsonArray;

    /// <summary>The string entries of a JSON object (labels, annotations, selectors); non-strings are skipped.</summary>
    public static IEnumerable<KeyValuePair<string, string>> StringMap(JsonNode? node)
    {
        if (node is not JsonObject o) yield break;
        foreach (var (k, v) in o) yield return new(k, Str(v) ?? "");
    }

    /// <summary>Renders a string map like Go's %#v of map[string]string (keys sorted).</summary>
    public static string GoStringMap(JsonNode? node)
    {
        var pairs = StringMap(node).OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => GoQuote.Quote(p.Key) + ":" + GoQuote.Quote(p.Value));
        return "map[string]string{" + string.Join(", ", pairs) + "}";
    }
}
