using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry;

/// <summary>Go %#v renderings of values that appear as bad values in upstream messages.</summary>
internal static class GoFormat
{
    /// <summary>An intstr.IntOrString value: <c>intstr.IntOrString{Type:1, IntVal:0, StrVal:"50"}</c>.</summary>
    public static GoValue IntOrString(JsonNode? node) => JsonRead.Int(node) is { } i
        ? new GoValue($"intstr.IntOrString{{Type:0, IntVal:{i}, StrVal:\"\"}}")
        : new GoValue($"intstr.IntOrString{{Type:1, IntVal:0, StrVal:{GoQuote.Quote(JsonRead.Str(node) ?? "")}}}");

    /// <summary>A label map, <c>map[string]string(nil)</c> when absent.</summary>
    public static GoValue StringMap(JsonNode? node) =>
        new(node is JsonObject ? JsonRead.GoStringMap(node) : "map[string]string(nil)");

    /// <summary>A percentage ("25%") or integer value of an int-or-string field; null when neither.</summary>
    public static (long Value, bool IsPercent)? IntOrPercent(JsonNode? node)
    {
        if (JsonRead.Int(node) is { } i) return (i, false);
        var s = JsonRead.Str(node);
        if (s != null && s.EndsWith('%') && long.TryParse(s[..^1], out var p)) return (p, true);
        return null;
    }
}
