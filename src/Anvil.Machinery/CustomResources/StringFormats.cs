using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Anvil.Machinery.CustomResources;

/// <summary>
/// The string formats a CRD schema may declare (kube-openapi's strfmt registry, as apiextensions supports it).
/// Checks follow the Go parsers loosely: the common spellings are accepted and clear garbage is rejected.
/// </summary>
internal static partial class StringFormats
{
    /// <summary>Whether <paramref name="value"/> is valid for <paramref name="format"/>; unknown formats accept anything.</summary>
    public static bool IsValid(string format, string value) => format.Replace("-", "", StringComparison.Ordinal) switch
    {
        "datetime" => IsDateTime(value),
        "date" => DateRegex().IsMatch(value) && DateTime.TryParseExact(value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
        "byte" => IsBase64(value),
        "uuid" => UuidRegex().IsMatch(value),
        "uuid3" => Uuid3Regex().IsMatch(value),
        "uuid4" => Uuid4Regex().IsMatch(value),
        "uuid5" => Uuid5Regex().IsMatch(value),
        "ipv4" => Ipv4Regex().IsMatch(value),
        "ipv6" => value.Contains(':') && IPAddress.TryParse(value, out var ip6) && ip6.AddressFamily == AddressFamily.InterNetworkV6,
        "cidr" => IsCidr(value),
        "mac" => MacRegex().IsMatch(value),
        "hostname" => value.Length <= 255 && HostnameRegex().IsMatch(value),
        "email" => EmailRegex().IsMatch(value),
        "uri" => value.StartsWith('/') || UriSchemeRegex().IsMatch(value),
        "duration" => DurationRegex().IsMatch(value),
        "hexcolor" => HexColorRegex().IsMatch(value),
        "rgbcolor" => RgbColorRegex().IsMatch(value),
        "bsonobjectid" => BsonObjectIdRegex().IsMatch(value),
        "ssn" => SsnRegex().IsMatch(value),
        "isbn10" => Isbn10Regex().IsMatch(Strip(value)),
        "isbn13" => Isbn13Regex().IsMatch(Strip(value)),
        "isbn" => Isbn10Regex().IsMatch(Strip(value)) || Isbn13Regex().IsMatch(Strip(value)),
        "creditcard" => CreditCardRegex().IsMatch(NonDigits().Replace(value, "")),
        _ => true, // password and anything not validated
    };

    private static string Strip(string isbn) => isbn.Replace(" ", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);

    private static bool IsDateTime(string value)
    {
        var m = DateTimeRegex().Match(value);
        if (!m.Success) return false;
        return DateTime.TryParseExact(m.Groups[1].Value, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
               && int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture) < 24
               && int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture) < 60
               && int.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture) < 61;
    }

    private static bool IsBase64(string value)
    {
        if (value.Length % 4 != 0) return false;
        var buffer = new byte[value.Length];
        return Convert.TryFromBase64String(value, buffer, out _) && !value.Any(char.IsWhiteSpace);
    }

    private static bool IsCidr(string value)
    {
        var slash = value.IndexOf('/');
        if (slash < 0) return false;
        var address = value[..slash];
        if (!int.TryParse(value[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var bits)) return false;
        if (Ipv4Regex().IsMatch(address)) return bits <= 32;
        return address.Contains(':') && IPAddress.TryParse(address, out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6 && bits <= 128;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}$")]
    private static partial Regex DateRegex();
    [GeneratedRegex(@"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$")]
    private static partial Regex DateTimeRegex();
    [GeneratedRegex("^(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$")]
    private static partial Regex UuidRegex();
    [GeneratedRegex("^(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?3[0-9a-f]{3}-?[0-9a-f]{4}-?[0-9a-f]{12}$")]
    private static partial Regex Uuid3Regex();
    [GeneratedRegex("^(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?4[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")]
    private static partial Regex Uuid4Regex();
    [GeneratedRegex("^(?i)[0-9a-f]{8}-?[0-9a-f]{4}-?5[0-9a-f]{3}-?[89ab][0-9a-f]{3}-?[0-9a-f]{12}$")]
    private static partial Regex Uuid5Regex();
    [GeneratedRegex(@"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])$")]
    private static partial Regex Ipv4Regex();
    [GeneratedRegex("^([0-9A-Fa-f]{2}[:-]){5}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{2}[:-]){7}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{2}[:-]){19}([0-9A-Fa-f]{2})$|^([0-9A-Fa-f]{4}\\.){2}[0-9A-Fa-f]{4}$")]
    private static partial Regex MacRegex();
    [GeneratedRegex(@"^([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$")]
    private static partial Regex HostnameRegex();
    [GeneratedRegex(@"^([^<>@\s]+@[^<>@\s]+|[^<>]*<[^<>@\s]+@[^<>@\s]+>)$")]
    private static partial Regex EmailRegex();
    [GeneratedRegex(@"^[a-zA-Z][a-zA-Z0-9+.\-]*:\S*$")]
    private static partial Regex UriSchemeRegex();
    [GeneratedRegex(@"^(\s*[-+]?\d+(\.\d+)?\s*[a-zA-Zµ]+\s*)+$")]
    private static partial Regex DurationRegex();
    [GeneratedRegex("^#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")]
    private static partial Regex HexColorRegex();
    [GeneratedRegex(@"^rgb\(\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*,\s*(0|[1-9]\d?|1\d\d?|2[0-4]\d|25[0-5])\s*\)$")]
    private static partial Regex RgbColorRegex();
    [GeneratedRegex("^[0-9a-fA-F]{24}$")]
    private static partial Regex BsonObjectIdRegex();
    [GeneratedRegex(@"^\d{3}[- ]?\d{2}[- ]?\d{4}$")]
    private static partial Regex SsnRegex();
    [GeneratedRegex("^(?:[0-9]{9}X|[0-9]{10})$")]
    private static partial Regex Isbn10Regex();
    [GeneratedRegex("^(?:[0-9]{13})$")]
    private static partial Regex Isbn13Regex();
    [GeneratedRegex(@"^(?:4[0-9]{12}(?:[0-9]{3})?|5[1-5][0-9]{14}|6(?:011|5[0-9][0-9])[0-9]{12}|3[47][0-9]{13}|3(?:0[0-5]|[68][0-9])[0-9]{11}|(?:2131|1800|35\d{3})\d{11})$")]
    private static partial Regex CreditCardRegex();
    [GeneratedRegex(@"\D")]
    private static partial Regex NonDigits();
}
