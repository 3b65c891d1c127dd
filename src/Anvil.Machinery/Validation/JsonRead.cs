using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Validation;

/// <summary>Tolerant readers for JSON object fields: a value of the wrong type reads as absent.</summary>
public static class JsonRead
{
    public static string? Str(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>
    /// The UTF-8 length of a string value (0 for anything else). A value still backed by the parsed request is measured
    /// in place: reading it as a string would copy it (a configmap's data, up to 1 MiB) only to count its bytes.
    /// </summary>
    public static long Utf8Length(JsonNode? node)
    {
        if (node is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return 0;
        if (v.TryGetValue<JsonElement>(out var element))
        {
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(element);
            if (raw.IndexOf((byte)'\\') < 0) return raw.Length - 2; // the quotes
        }
        return System.Text.Encoding.UTF8.GetByteCount(v.GetValue<string>());
    }

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
