using System.Globalization;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Meta;

/// <summary>Accessors for <c>metadata</c> of an object held as JSON; absent values read as "".</summary>
public static class ObjectMeta
{
    public static JsonObject Of(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m) return m;
        m = new JsonObject();
        obj["metadata"] = m;
        return m;
    }

    public static string Name(JsonObject obj) => Str(obj["metadata"]?["name"]);
    public static string Namespace(JsonObject obj) => Str(obj["metadata"]?["namespace"]);
    public static string Uid(JsonObject obj) => Str(obj["metadata"]?["uid"]);
    public static string ResourceVersion(JsonObject obj) => Str(obj["metadata"]?["resourceVersion"]);
    public static string GenerateName(JsonObject obj) => Str(obj["metadata"]?["generateName"]);
    public static bool IsDeleting(JsonObject obj) => obj["metadata"]?["deletionTimestamp"] != null;

    public static JsonObject? Labels(JsonObject obj) => obj["metadata"]?["labels"] as JsonObject;
    public static JsonObject? Annotations(JsonObject obj) => obj["metadata"]?["annotations"] as JsonObject;

    public static IReadOnlyList<string> Finalizers(JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray a ? a.Select(Str).ToList() : [];

    public static void SetFinalizers(JsonObject obj, IEnumerable<string> finalizers)
    {
        var list = finalizers.ToList();
        var meta = Of(obj);
        if (list.Count == 0) meta.Remove("finalizers");
        else meta["finalizers"] = new JsonArray(list.Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
    }

    public static IEnumerable<JsonObject> OwnerReferences(JsonObject obj) =>
        obj["metadata"]?["ownerReferences"] is JsonArray a ? a.OfType<JsonObject>() : [];

    /// <summary>Kubernetes' timestamp form: RFC 3339 in UTC with whole seconds.</summary>
    public static string FormatTime(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTime(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s) &&
        DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    private static string Str(JsonNode? n) => n is JsonValue v && v.TryGetValue<string>(out var s) ? s : "";
}
