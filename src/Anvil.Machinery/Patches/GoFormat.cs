using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Patches;

/// <summary>
/// Renders decoded JSON the way Go's fmt prints <c>interface{}</c> values (<c>%v</c>), because
/// strategic merge patch errors embed such renderings (e.g. <c>map[image:nginx]</c>).
/// </summary>
internal static class GoFormat
{
    public static string Value(JsonNode? node)
    {
        var sb = new StringBuilder();
        Write(sb, node);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, JsonNode? node)
    {
        switch (node)
        {
            case null: sb.Append("<nil>"); break;
            case JsonObject o:
                sb.Append("map[");
                var first = true;
                foreach (var key in o.Select(p => p.Key).OrderBy(k => k, StringComparer.Ordinal))
                {
                    if (!first) sb.Append(' ');
                    first = false;
                    sb.Append(key).Append(':');
                    Write(sb, o[key]);
                }
                sb.Append(']');
                break;
            case JsonArray a:
                sb.Append('[');
                for (var i = 0; i < a.Count; i++)
                {
                    if (i > 0) sb.Append(' ');
                    Write(sb, a[i]);
                }
                sb.Append(']');
                break;
            default:
                switch (node.GetValueKind())
                {
                    case JsonValueKind.String: sb.Append(node.GetValue<string>()); break;
                    case JsonValueKind.True: sb.Append("true"); break;
                    case JsonValueKind.False: sb.Append("false"); break;
                    default: sb.Append(Number(node.ToJsonString())); break;
                }
                break;
        }
    }

    /// <summary>A JSON number as Go prints the int64 or float64 it decodes to.</summary>
    public static string Number(string raw)
    {
        if (JsonCompare.IsGoInt(raw)) return long.Parse(raw, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        return Float(double.Parse(raw, CultureInfo.InvariantCulture));
    }

    /// <summary>strconv.FormatFloat(f, 'g', -1, 64).</summary>
    public static string Float(double f)
    {
        if (double.IsPositiveInfinity(f)) return "+Inf";
        if (double.IsNegativeInfinity(f)) return "-Inf";
        if (double.IsNaN(f)) return "NaN";
        if (f == 0) return double.IsNegative(f) ? "-0" : "0";
        // "E16" is not shortest; "R" is. Parse R's digits and exponent.
        var shortest = Math.Abs(f).ToString("R", CultureInfo.InvariantCulture);
        string digits;
        int exp; // decimal exponent of the first digit
        var ePos = shortest.IndexOfAny(['E', 'e']);
        var mant = ePos >= 0 ? shortest[..ePos] : shortest;
        var expPart = ePos >= 0 ? int.Parse(shortest[(ePos + 1)..], CultureInfo.InvariantCulture) : 0;
        var dot = mant.IndexOf('.');
        var intPart = dot >= 0 ? mant[..dot] : mant;
        var fracPart = dot >= 0 ? mant[(dot + 1)..] : "";
        var all = (intPart + fracPart).TrimStart('0');
        var leadingZeros = (intPart + fracPart).Length - all.Length;
        digits = all.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        exp = intPart.Length - 1 - leadingZeros + expPart;
        var sb = new StringBuilder();
        if (f < 0) sb.Append('-');
        if (exp < -4 || exp >= 6)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(exp < 0 ? '-' : '+');
            var e = Math.Abs(exp);
            if (e < 10) sb.Append('0');
            sb.Append(e.ToString(CultureInfo.InvariantCulture));
            return sb.ToString();
        }
        if (exp < 0)
        {
            sb.Append("0.").Append('0', -exp - 1).Append(digits);
        }
        else if (exp + 1 >= digits.Length)
        {
            sb.Append(digits).Append('0', exp + 1 - digits.Length);
        }
        else
        {
            sb.Append(digits, 0, exp + 1).Append('.').Append(digits, exp + 1, digits.Length - exp - 1);
        }
        return sb.ToString();
    }

    /// <summary>encoding/json's rendering of a float64: plain decimals between 1e-6 and 1e21, else 1e+21 style.</summary>
    public static string JsonFloat(double f)
    {
        var abs = Math.Abs(f);
        if (abs != 0 && (abs < 1e-6 || abs >= 1e21))
        {
            var e = f.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e");
            var at = e.IndexOf('e');
            if (at < 0) return e;
            var exp = int.Parse(e[(at + 1)..], CultureInfo.InvariantCulture);
            return e[..at] + "e" + (exp < 0 ? "-" : "+") + Math.Abs(exp).ToString(CultureInfo.InvariantCulture);
        }
        var r = f.ToString("R", CultureInfo.InvariantCulture);
        if (!r.Contains('E')) return r;
        return decimal.Parse(r, NumberStyles.Float, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>reflect.TypeOf(v).String() for a decoded JSON value.</summary>
    public static string TypeName(JsonNode? node) => node switch
    {
        null => "%!s(<nil>)",
        JsonObject => "map[string]interface {}",
        JsonArray => "[]interface {}",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "bool",
            _ => JsonCompare.IsGoInt(node.ToJsonString()) ? "int64" : "float64",
        },
    };

    /// <summary>fmt's %s applied to a decoded JSON value (strings print bare, others as %!s(type=value)).</summary>
    public static string AsS(JsonNode? node) => node switch
    {
        null => "%!s(<nil>)",
        JsonObject or JsonArray => Value(node),
        _ when node.GetValueKind() == JsonValueKind.String => node.GetValue<string>(),
        _ => $"%!s({TypeName(node)}={Value(node)})",
    };
}
