using System.Text.Json.Nodes;
using Anvil.Machinery.Quantities;

namespace Anvil.Machinery.Quota;

/// <summary>
/// corev1.ResourceList arithmetic (pkg/quota/v1/resources.go): maps of resource name to quantity, with the
/// comparisons quota admission and the quota controller share. Keys compare ordinally.
/// </summary>
public static class ResourceList
{
    /// <summary>Reads a JSON ResourceList; entries that are not quantities are skipped.</summary>
    public static Dictionary<string, Quantity> Read(JsonNode? list)
    {
        var result = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        if (list is not JsonObject o) return result;
        foreach (var (k, v) in o)
        {
            var text = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString();
            if (Quantity.TryParse(text, out var q)) result[k] = q;
        }
        return result;
    }

    /// <summary>The JSON form, keys sorted as Go's encoder writes maps.</summary>
    public static JsonObject ToJson(IReadOnlyDictionary<string, Quantity> list)
    {
        var o = new JsonObject();
        foreach (var (k, v) in list.OrderBy(p => p.Key, StringComparer.Ordinal)) o[k] = v.ToString();
        return o;
    }

    /// <summary>The sum of two lists (quota.Add).</summary>
    public static Dictionary<string, Quantity> Add(IReadOnlyDictionary<string, Quantity> a, IReadOnlyDictionary<string, Quantity> b)
    {
        var result = new Dictionary<string, Quantity>(a, StringComparer.Ordinal);
        foreach (var (k, v) in b) result[k] = result.TryGetValue(k, out var x) ? x.Add(v) : v;
        return result;
    }

    /// <summary>a - b for every key of a or b (quota.Subtract).</summary>
    public static Dictionary<string, Quantity> Subtract(IReadOnlyDictionary<string, Quantity> a, IReadOnlyDictionary<string, Quantity> b)
    {
        var result = new Dictionary<string, Quantity>(a, StringComparer.Ordinal);
        foreach (var (k, v) in b) result[k] = result.TryGetValue(k, out var x) ? x.Subtract(v) : v.Negate();
        return result;
    }

    /// <summary>Only the entries whose keys are in <paramref name="names"/> (quota.Mask).</summary>
    public static Dictionary<string, Quantity> Mask(IReadOnlyDictionary<string, Quantity> list, IEnumerable<string> names)
    {
        var result = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var n in names)
            if (list.TryGetValue(n, out var q)) result[n] = q;
        return result;
    }

    /// <summary>
    /// Whether every entry of a that b also has is ≤ b's, and the keys where it is not (quota.LessThanOrEqual).
    /// </summary>
    public static (bool Ok, List<string> Exceeded) LessThanOrEqual(IReadOnlyDictionary<string, Quantity> a, IReadOnlyDictionary<string, Quantity> b)
    {
        var exceeded = new List<string>();
        foreach (var (k, v) in a)
            if (b.TryGetValue(k, out var limit) && v > limit) exceeded.Add(k);
        return (exceeded.Count == 0, exceeded);
    }

    public static bool IsZero(IReadOnlyDictionary<string, Quantity> list) => list.Values.All(q => q.IsZero);

    /// <summary>Whether any entry is negative or any key is missing from the other (for "did usage change").</summary>
    public static bool Equal(IReadOnlyDictionary<string, Quantity> a, IReadOnlyDictionary<string, Quantity> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var q) && q == p.Value);

    /// <summary><c>pods=1,requests.cpu=500m</c>: sorted keys (resourcequota prettyPrint).</summary>
    public static string PrettyPrint(IReadOnlyDictionary<string, Quantity> list) =>
        string.Join(",", list.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
