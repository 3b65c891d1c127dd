using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// JSON numbers as the unstructured decoder sees them: an integer literal that fits is an int64,
/// anything else a float64. The validator's messages and checks depend on which one it is.
/// </summary>
internal static class JsonNumbers
{
    public static bool IsNumber(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.Number;

    /// <summary>The int64 a JSON number decodes to, or null when it decodes to a float64.</summary>
    public static long? AsLong(JsonNode? n)
    {
        if (!IsNumber(n)) return null;
        var raw = n!.ToJsonString();
        return Patches.JsonCompare.IsGoInt(raw) ? long.Parse(raw, CultureInfo.InvariantCulture) : null;
    }

    public static double? AsDouble(JsonNode? n)
    {
        if (!IsNumber(n)) return null;
        return double.TryParse(n!.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;
    }

    /// <summary>Go's %v of the decoded number: int64 digits or strconv's shortest 'g' form.</summary>
    public static string Format(JsonNode n) => AsLong(n) is { } l
        ? l.ToString(CultureInfo.InvariantCulture)
        : Patches.GoFormat.Float(AsDouble(n) ?? 0);

    /// <summary>Go's %v of a float64 (e.g. a schema bound).</summary>
    public static string Format(double d) => Patches.GoFormat.Float(d);
}
