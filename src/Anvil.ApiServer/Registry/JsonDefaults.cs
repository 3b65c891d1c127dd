using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// Defaulting helpers with Go's zero-value semantics: a string field is unset when absent, null or "";
/// a pointer field (int, bool, object) when absent or null.
/// </summary>
internal static class JsonDefaults
{
    public static bool IsUnset(JsonNode? node) => node is null || node is JsonValue v && v.GetValueKind() == JsonValueKind.Null;

    public static bool IsUnsetString(JsonNode? node) =>
        IsUnset(node) || node is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Length == 0;

    public static void String(JsonObject o, string key, string value)
    {
        if (IsUnsetString(o[key])) o[key] = value;
    }

    public static void Int(JsonObject o, string key, long value)
    {
        if (IsUnset(o[key])) o[key] = Number(value);
    }

    /// <summary>A number node backed by a JsonElement, so readers may take it as int or long alike.</summary>
    public static JsonNode Number(long value) => JsonValue.Create(JsonSerializer.SerializeToElement(value))!;

    public static void Bool(JsonObject o, string key, bool value)
    {
        if (IsUnset(o[key])) o[key] = value;
    }

    /// <summary>Sets an int-or-string field (e.g. "25%") when unset.</summary>
    public static void Value(JsonObject o, string key, JsonNode value)
    {
        if (IsUnset(o[key])) o[key] = value;
    }

    /// <summary>The object at <paramref name="key"/>, created (as Go's non-pointer struct would serialize) when unset.</summary>
    public static JsonObject Object(JsonObject o, string key)
    {
        if (o[key] is JsonObject existing) return existing;
        var created = new JsonObject();
        o[key] = created;
        return created;
    }

    /// <summary>The object entries of an array field (skipping other items), or nothing.</summary>
    public static IEnumerable<JsonObject> Items(JsonObject? o, string key) =>
        o?[key] is JsonArray a ? a.OfType<JsonObject>().ToList() : [];

    public static JsonObject? Child(JsonObject? o, string key) => o?[key] as JsonObject;

    public static JsonObject Meta(JsonObject obj) => Object(obj, "metadata");
}
