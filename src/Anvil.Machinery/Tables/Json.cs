using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

/// <summary>Tolerant readers for object JSON: a missing or mistyped field reads as Go's zero value.</summary>
internal static class Json
{
    public static JsonNode? At(JsonNode? node, params string[] path)
    {
        foreach (var p in path) node = (node as JsonObject)?[p];
        return node;
    }

    public static string Str(JsonNode? node, params string[] path) =>
        At(node, path) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "";

    public static bool Has(JsonNode? node, params string[] path) => At(node, path) != null;

    public static long Int(JsonNode? node, params string[] path) => IntOrNull(node, path) ?? 0;

    public static long? IntOrNull(JsonNode? node, params string[] path) =>
        At(node, path) is JsonValue v && v.GetValueKind() == JsonValueKind.Number
        && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? (long)d
            : null;

    public static bool Bool(JsonNode? node, params string[] path) => BoolOrNull(node, path) ?? false;

    public static bool? BoolOrNull(JsonNode? node, params string[] path) =>
        At(node, path) is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    public static JsonObject? Obj(JsonNode? node, params string[] path) => At(node, path) as JsonObject;

    public static IEnumerable<JsonObject> Objects(JsonNode? node, params string[] path) =>
        At(node, path) is JsonArray a ? a.OfType<JsonObject>() : [];

    public static IEnumerable<string> Strings(JsonNode? node, params string[] path) =>
        At(node, path) is JsonArray a ? a.Select(n => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : "") : [];

    public static int Count(JsonNode? node, params string[] path) => At(node, path) switch
    {
        JsonArray a => a.Count,
        JsonObject o => o.Count,
        _ => 0,
    };

    /// <summary>A metav1.Time / MicroTime; null when missing, empty or unparsable (Go's zero time).</summary>
    public static DateTimeOffset? Time(JsonNode? node, params string[] path)
    {
        var s = Str(node, path);
        if (s.Length == 0) return null;
        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;
    }

    /// <summary>IntOrString.String(): an int in decimal, a string as is.</summary>
    public static string IntOrString(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => v.ToJsonString(),
        _ => "0",
    };
}
