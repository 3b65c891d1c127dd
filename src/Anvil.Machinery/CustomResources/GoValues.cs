using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Machinery.Validation;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// Turns decoded JSON into the bad values of <see cref="FieldError"/> so that they print as field.Error prints
/// the Go values of an unstructured object: strings quoted, int64 and float64 bare (%v), maps and slices in
/// Go syntax (%#v, e.g. <c>map[string]interface {}{"name":"a"}</c>).
/// </summary>
internal static class GoValues
{
    public static object? BadValue(JsonNode? node) => node switch
    {
        null => null,
        JsonObject or JsonArray => new GoValue(GoSyntax(node)),
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => JsonNumbers.AsLong(v) is { } l ? l : new GoValue(JsonNumbers.Format(v)),
            _ => null,
        },
        _ => null,
    };

    /// <summary>Go's %#v of an interface{} holding decoded JSON.</summary>
    public static string GoSyntax(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node, top: true);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node, bool top)
    {
        switch (node)
        {
            case null:
                sb.Append(top ? "<nil>" : "interface {}(nil)");
                break;
            case JsonObject o:
                sb.Append("map[string]interface {}{");
                var first = true;
                foreach (var key in o.Select(p => p.Key).Order(StringComparer.Ordinal))
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    sb.Append(GoQuote.Quote(key)).Append(':');
                    Write(sb, o[key], top: false);
                }
                sb.Append('}');
                break;
            case JsonArray a:
                sb.Append("[]interface {}{");
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    Write(sb, a[i], top: false);
                }
                sb.Append('}');
                break;
            default:
                switch (node.GetValueKind())
                {
                    case JsonValueKind.String: sb.Append(GoQuote.Quote(node.GetValue<string>())); break;
                    case JsonValueKind.True: sb.Append("true"); break;
                    case JsonValueKind.False: sb.Append("false"); break;
                    case JsonValueKind.Number: sb.Append(JsonNumbers.Format(node)); break;
                    default: sb.Append("interface {}(nil)"); break;
                }
                break;
        }
    }

    /// <summary>Deep equality of decoded JSON, numbers compared by value (1 equals 1.0).</summary>
    public static bool JsonEquals(JsonNode? a, JsonNode? b)
    {
        switch (a)
        {
            case null: return b is null;
            case JsonObject oa:
                if (b is not JsonObject ob || oa.Count != ob.Count) return false;
                foreach (var (k, v) in oa)
                    if (!ob.TryGetPropertyValue(k, out var w) || !JsonEquals(v, w)) return false;
                return true;
            case JsonArray aa:
                if (b is not JsonArray ab || aa.Count != ab.Count) return false;
                for (var i = 0; i < aa.Count; i++)
                    if (!JsonEquals(aa[i], ab[i])) return false;
                return true;
            default:
                if (b is not JsonValue || b is JsonObject || b is JsonArray) return false;
                var ka = a.GetValueKind();
                var kb = b.GetValueKind();
                if (ka == JsonValueKind.Number && kb == JsonValueKind.Number)
                    return JsonNumbers.AsLong(a) is { } la && JsonNumbers.AsLong(b) is { } lb ? la == lb : JsonNumbers.AsDouble(a) == JsonNumbers.AsDouble(b);
                if (ka != kb) return false;
                return ka != JsonValueKind.String || a.GetValue<string>() == b.GetValue<string>();
        }
    }

    /// <summary>The JSON type name kube-openapi infers for a decoded value.</summary>
    public static string TypeName(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "object",
        JsonArray => "array",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => JsonNumbers.AsLong(node) != null ? "integer" : "number",
            _ => "null",
        },
    };
}
