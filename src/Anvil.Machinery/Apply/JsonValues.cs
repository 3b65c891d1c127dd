using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Apply;

/// <summary>
/// Value semantics of structured-merge-diff over <see cref="JsonNode"/>s: its total order (numbers, strings,
/// booleans, lists, maps, null), equality (ints and floats compare numerically), its human-readable form used in
/// paths (<c>[name="a"]</c>) and the Go JSON encoding used inside FieldsV1 keys.
/// A C# null stands for JSON null.
/// </summary>
internal static class JsonValues
{
    private enum Kind { Float, Int, String, Bool, List, Map, Null }

    private static Kind KindOf(JsonNode? n, out long i, out double f)
    {
        i = 0; f = 0;
        switch (n)
        {
            case null: return Kind.Null;
            case JsonObject: return Kind.Map;
            case JsonArray: return Kind.List;
        }
        var v = (JsonValue)n;
        switch (v.GetValueKind())
        {
            case JsonValueKind.String: return Kind.String;
            case JsonValueKind.True:
            case JsonValueKind.False: return Kind.Bool;
            case JsonValueKind.Number:
                var text = v.ToJsonString();
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out i)) return Kind.Int;
                f = double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
                return Kind.Float;
            default: return Kind.Null;
        }
    }

    public static bool IsMap(JsonNode? n) => n is JsonObject;
    public static bool IsList(JsonNode? n) => n is JsonArray;

    public static int Compare(JsonNode? a, JsonNode? b)
    {
        var ka = KindOf(a, out var ia, out var fa);
        var kb = KindOf(b, out var ib, out var fb);
        if (ka == Kind.Float || kb == Kind.Float)
        {
            if (ka is Kind.Float or Kind.Int && kb is Kind.Float or Kind.Int)
                return (ka == Kind.Float ? fa : ia).CompareTo(kb == Kind.Float ? fb : ib);
            return ka == Kind.Float ? -1 : 1;
        }
        if (ka != kb) return ka < kb ? -1 : 1;
        switch (ka)
        {
            case Kind.Int: return ia.CompareTo(ib);
            case Kind.String: return string.CompareOrdinal((string)a!, (string)b!) switch { < 0 => -1, > 0 => 1, _ => 0 };
            case Kind.Bool: return ((bool)a!).CompareTo((bool)b!);
            case Kind.List:
            {
                var la = (JsonArray)a!; var lb = (JsonArray)b!;
                for (var i = 0; ; i++)
                {
                    if (i >= la.Count && i >= lb.Count) return 0;
                    if (i >= la.Count) return -1;
                    if (i >= lb.Count) return 1;
                    var c = Compare(la[i], lb[i]);
                    if (c != 0) return c;
                }
            }
            case Kind.Map:
            {
                // Maps compare as their sorted (key, value) lists.
                var ma = ((JsonObject)a!).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                var mb = ((JsonObject)b!).OrderBy(p => p.Key, StringComparer.Ordinal).ToList();
                for (var i = 0; ; i++)
                {
                    if (i >= ma.Count && i >= mb.Count) return 0;
                    if (i >= ma.Count) return -1;
                    if (i >= mb.Count) return 1;
                    var c = string.CompareOrdinal(ma[i].Key, mb[i].Key);
                    if (c != 0) return c < 0 ? -1 : 1;
                    c = Compare(ma[i].Value, mb[i].Value);
                    if (c != 0) return c;
                }
            }
            default: return 0;
        }
    }

    public static bool ValueEquals(JsonNode? a, JsonNode? b)
    {
        var ka = KindOf(a, out var ia, out var fa);
        var kb = KindOf(b, out var ib, out var fb);
        if (ka == Kind.Float || kb == Kind.Float)
            return ka is Kind.Float or Kind.Int && kb is Kind.Float or Kind.Int
                && (ka == Kind.Float ? fa : ia) == (kb == Kind.Float ? fb : ib);
        if (ka != kb) return false;
        switch (ka)
        {
            case Kind.Int: return ia == ib;
            case Kind.String: return (string)a! == (string)b!;
            case Kind.Bool: return (bool)a! == (bool)b!;
            case Kind.List:
            {
                var la = (JsonArray)a!; var lb = (JsonArray)b!;
                if (la.Count != lb.Count) return false;
                for (var i = 0; i < la.Count; i++) if (!ValueEquals(la[i], lb[i])) return false;
                return true;
            }
            case Kind.Map:
            {
                var ma = (JsonObject)a!; var mb = (JsonObject)b!;
                if (ma.Count != mb.Count) return false;
                foreach (var (k, v) in ma)
                    if (!mb.TryGetPropertyValue(k, out var w) || !ValueEquals(v, w)) return false;
                return true;
            }
            default: return true;
        }
    }

    public static int HashCode(JsonNode? n)
    {
        switch (KindOf(n, out var i, out var f))
        {
            case Kind.Int: return i.GetHashCode();
            case Kind.Float: return f == Math.Floor(f) && Math.Abs(f) < 9e18 ? ((long)f).GetHashCode() : f.GetHashCode();
            case Kind.String: return StringComparer.Ordinal.GetHashCode((string)n!);
            case Kind.Bool: return ((bool)n!).GetHashCode();
            case Kind.List: return ((JsonArray)n!).Count;
            case Kind.Map: return ((JsonObject)n!).Count * 31;
            default: return 0;
        }
    }

    /// <summary>SMD's value.ToString: strings quoted like Go's %q, lists "[a,b]".</summary>
    public static string ToDisplayString(JsonNode? n)
    {
        switch (KindOf(n, out var i, out var f))
        {
            case Kind.Null: return "null";
            case Kind.Float: return f.ToString("R", CultureInfo.InvariantCulture);
            case Kind.Int: return i.ToString(CultureInfo.InvariantCulture);
            case Kind.String: return GoQuote((string)n!);
            case Kind.Bool: return (bool)n! ? "true" : "false";
            case Kind.List: return "[" + string.Join(",", ((JsonArray)n!).Select(ToDisplayString)) + "]";
            default: return string.Concat(((JsonObject)n!).Select(p => p.Key + "=" + ToDisplayString(p.Value)));
        }
    }

    /// <summary>Go's encoding/json form: map keys sorted, &lt; &gt; &amp; escaped as \u003c etc.</summary>
    public static string ToGoJson(JsonNode? n)
    {
        var sb = new StringBuilder();
        WriteGoJson(sb, n);
        return sb.ToString();
    }

    public static void WriteGoJson(StringBuilder sb, JsonNode? n)
    {
        switch (KindOf(n, out var i, out var f))
        {
            case Kind.Null: sb.Append("null"); break;
            case Kind.Int: sb.Append(i.ToString(CultureInfo.InvariantCulture)); break;
            case Kind.Float: sb.Append(FormatGoFloat(f)); break;
            case Kind.String: WriteGoString(sb, (string)n!); break;
            case Kind.Bool: sb.Append((bool)n! ? "true" : "false"); break;
            case Kind.List:
                sb.Append('[');
                var first = true;
                foreach (var item in (JsonArray)n!)
                {
                    if (!first) sb.Append(',');
                    first = false;
                    WriteGoJson(sb, item);
                }
                sb.Append(']');
                break;
            case Kind.Map:
                sb.Append('{');
                var firstKey = true;
                foreach (var (k, v) in ((JsonObject)n!).OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    if (!firstKey) sb.Append(',');
                    firstKey = false;
                    WriteGoString(sb, k);
                    sb.Append(':');
                    WriteGoJson(sb, v);
                }
                sb.Append('}');
                break;
        }
    }

    private static string FormatGoFloat(double f)
    {
        var abs = Math.Abs(f);
        if (abs != 0 && (abs < 1e-6 || abs >= 1e21))
            return f.ToString("0.################e+00", CultureInfo.InvariantCulture).Replace("e+0", "e+").Replace("e-0", "e-");
        return f.ToString("R", CultureInfo.InvariantCulture);
    }

    public static void WriteGoString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '<': case '>': case '&': case '\u2028': case '\u2029':
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }

    /// <summary>Go's %q (strconv.Quote).</summary>
    public static string GoQuote(string s) => Validation.GoQuote.Quote(s);

    public static JsonNode? Clone(JsonNode? n) => n?.DeepClone();
}
