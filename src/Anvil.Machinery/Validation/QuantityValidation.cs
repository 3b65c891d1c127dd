using System.Globalization;
using System.Text.RegularExpressions;

namespace Anvil.Machinery.Validation;

/// <summary>
/// resource.Quantity parsing and canonical form (k8s.io/apimachinery/pkg/api/resource), enough for validation
/// messages and for storing quantities the way kube-apiserver re-serializes them ("1000m" → "1", "1024Mi" → "1Gi").
/// </summary>
public static partial class QuantityValidation
{
    public const string QuantityFmt = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";
    public const string ParseErrorMsg = "quantities must match the regular expression '" + QuantityFmt + "'";

    [GeneratedRegex(QuantityFmt)] private static partial Regex QuantityRegex();

    enum Format { DecimalSI, BinarySI, DecimalExponent }

    /// <summary>Parses a quantity into its exact value and canonical string; false when it is not a quantity.</summary>
    public static bool TryParse(string? text, out decimal value, out string canonical)
    {
        value = 0;
        canonical = "";
        if (string.IsNullOrEmpty(text)) return false;
        var s = text.Trim();
        var m = QuantityRegex().Match(s);
        if (!m.Success) return false;
        var number = m.Groups[1].Value;
        var suffix = m.Groups[2].Value;
        if (number.Count(c => c == '.') > 1 || number.TrimStart('+', '-') is "." or "") return false;
        decimal mult;
        Format format;
        try
        {
            (mult, format) = suffix switch
            {
                "" => (1m, Format.DecimalSI),
                "n" => (0.000000001m, Format.DecimalSI),
                "u" => (0.000001m, Format.DecimalSI),
                "m" => (0.001m, Format.DecimalSI),
                "k" => (1e3m, Format.DecimalSI),
                "M" => (1e6m, Format.DecimalSI),
                "G" => (1e9m, Format.DecimalSI),
                "T" => (1e12m, Format.DecimalSI),
                "P" => (1e15m, Format.DecimalSI),
                "E" => (1e18m, Format.DecimalSI),
                "Ki" => (1024m, Format.BinarySI),
                "Mi" => (1024m * 1024, Format.BinarySI),
                "Gi" => (1024m * 1024 * 1024, Format.BinarySI),
                "Ti" => (1024m * 1024 * 1024 * 1024, Format.BinarySI),
                "Pi" => (1024m * 1024 * 1024 * 1024 * 1024, Format.BinarySI),
                "Ei" => (1024m * 1024 * 1024 * 1024 * 1024 * 1024, Format.BinarySI),
                _ when suffix[0] is 'e' or 'E' && int.TryParse(suffix[1..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exp) && exp is >= -28 and <= 28
                    => (Pow10(exp), Format.DecimalExponent),
                _ => (0m, Format.DecimalSI),
            };
            if (mult == 0) return false;
            value = decimal.Parse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture) * mult;
        }
        catch (OverflowException) { return false; }
        // Kubernetes keeps at most nano precision, rounding up.
        value = Math.Ceiling(value * 1_000_000_000m) / 1_000_000_000m;
        canonical = Canonical(value, format);
        return true;
    }

    /// <summary>The text of a quantity field: a JSON string, or a JSON number (which Kubernetes also accepts).</summary>
    public static string? Text(System.Text.Json.Nodes.JsonNode? node) => node is System.Text.Json.Nodes.JsonValue v
        ? v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
            System.Text.Json.JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        }
        : null;

    /// <summary>
    /// Rewrites every parseable quantity of a resource list (requests, limits, hard, capacity, ...) in canonical
    /// form, as kube-apiserver's decode/encode round trip does ("1000m" → "1", 512 → "512"). Others are left for validation.
    /// </summary>
    public static void CanonicalizeList(System.Text.Json.Nodes.JsonNode? list)
    {
        if (list is not System.Text.Json.Nodes.JsonObject o) return;
        foreach (var key in o.Select(p => p.Key).ToList())
            if (Canonicalize(Text(o[key])) is { } c) o[key] = c;
    }

    /// <summary>The canonical string of a quantity, or null when it does not parse.</summary>
    public static string? Canonicalize(string? text) => TryParse(text, out _, out var c) ? c : null;

    static decimal Pow10(int exp)
    {
        var r = 1m;
        for (var i = 0; i < Math.Abs(exp); i++) r = exp > 0 ? r * 10 : r / 10;
        return r;
    }

    static string Canonical(decimal value, Format format)
    {
        if (value == 0) return "0";
        if (format == Format.BinarySI)
        {
            if (value > -1024 && value < 1024 || value != decimal.Truncate(value)) format = Format.DecimalSI;
            else
            {
                var n = value;
                var exp = 0;
                while (exp < 6 && n % 1024 == 0) { n /= 1024; exp++; }
                return n.ToString("0", CultureInfo.InvariantCulture) + (exp == 0 ? "" : new[] { "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" }[exp - 1]);
            }
        }
        var mantissa = value;
        var e = 0;
        while (mantissa != decimal.Truncate(mantissa)) { mantissa *= 10; e--; }
        while (mantissa % 10 == 0) { mantissa /= 10; e++; }
        switch (e % 3)
        {
            case 1 or -2: mantissa *= 10; e -= 1; break;
            case 2 or -1: mantissa *= 100; e -= 2; break;
        }
        var digits = mantissa.ToString("0", CultureInfo.InvariantCulture);
        if (format == Format.DecimalExponent) return digits + (e == 0 ? "" : "e" + e.ToString(CultureInfo.InvariantCulture));
        var suffix = e switch
        {
            -9 => "n", -6 => "u", -3 => "m", 0 => "", 3 => "k", 6 => "M", 9 => "G", 12 => "T", 15 => "P", 18 => "E",
            _ => "e" + e.ToString(CultureInfo.InvariantCulture),
        };
        return digits + suffix;
    }

    /// <summary>ValidateNonnegativeQuantity plus the parse check, for a quantity given as JSON text.</summary>
    public static IEnumerable<FieldError> ValidateNonnegativeQuantity(string? text, string path)
    {
        if (!TryParse(text, out var v, out var canonical))
        {
            yield return FieldError.Invalid(path, text ?? "", ParseErrorMsg);
            yield break;
        }
        if (v < 0) yield return FieldError.Invalid(path, canonical, ObjectMetaValidation.IsNegativeErrorMsg);
    }
}
