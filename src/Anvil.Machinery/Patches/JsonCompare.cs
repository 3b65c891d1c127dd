using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Patches;

/// <summary>JSON value equality as Go compares decoded JSON: numbers by value, objects ignoring key order.</summary>
internal static class JsonCompare
{
    public static bool DeepEquals(JsonNode? a, JsonNode? b)
    {
        if (a is null || b is null) return a is null && b is null;
        switch (a)
        {
            case JsonObject oa:
                if (b is not JsonObject ob || oa.Count != ob.Count) return false;
                foreach (var (k, v) in oa)
                    if (!ob.TryGetPropertyValue(k, out var w) || !DeepEquals(v, w)) return false;
                return true;
            case JsonArray aa:
                if (b is not JsonArray ab || aa.Count != ab.Count) return false;
                for (var i = 0; i < aa.Count; i++)
                    if (!DeepEquals(aa[i], ab[i])) return false;
                return true;
            default:
                if (b is JsonObject or JsonArray) return false;
                var ka = a.GetValueKind();
                var kb = b.GetValueKind();
                if (ka != kb) return false;
                return ka switch
                {
                    JsonValueKind.String => a.GetValue<string>() == b.GetValue<string>(),
                    JsonValueKind.Number => NumberEquals(a.ToJsonString(), b.ToJsonString()),
                    _ => true, // true, false
                };
        }
    }

    private static bool NumberEquals(string x, string y)
    {
        if (x == y) return true;
        if (decimal.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var dx)
            && decimal.TryParse(y, NumberStyles.Float, CultureInfo.InvariantCulture, out var dy))
            return dx == dy;
        return double.Parse(x, CultureInfo.InvariantCulture) == double.Parse(y, CultureInfo.InvariantCulture);
    }

    /// <summary>True when the JSON number decodes to Go's int64 (no '.', fits), as json.PreserveInts does.</summary>
    public static bool IsGoInt(string raw) =>
        !raw.Contains('.') && long.TryParse(raw, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _);
}
