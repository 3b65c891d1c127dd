using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Validation;

/// <summary>
/// One validation failure, formatted as Kubernetes formats <c>field.Error</c>:
/// <c>spec.replicas: Invalid value: -1: must be greater than or equal to 0</c>.
/// </summary>
public sealed record FieldError(FieldErrorType Type, string Field, object? BadValue = null, string Detail = "", bool HasBadValue = false)
{
    public static FieldError Required(string field, string detail = "") => new(FieldErrorType.Required, field, null, detail);
    public static FieldError Invalid(string field, object? value, string detail) => new(FieldErrorType.Invalid, field, value, detail, true);
    public static FieldError Forbidden(string field, string detail) => new(FieldErrorType.Forbidden, field, null, detail);
    public static FieldError Duplicate(string field, object? value) => new(FieldErrorType.Duplicate, field, value, "", true);
    public static FieldError NotFound(string field, object? value) => new(FieldErrorType.NotFound, field, value, "", true);
    public static FieldError TooLong(string field, object? value, int max) =>
        new(FieldErrorType.TooLong, field, value, $"may not be more than {max} bytes", false);
    public static FieldError TooMany(string field, int actual, int max) =>
        new(FieldErrorType.TooMany, field, actual, $"must have at most {max} items", true);

    /// <summary>NotSupported lists the allowed values the way Kubernetes quotes them.</summary>
    public static FieldError NotSupported(string field, object? value, IEnumerable<string> valid) =>
        new(FieldErrorType.NotSupported, field, value, "supported values: " + string.Join(", ", valid.Select(v => "\"" + v + "\"")), true);

    /// <summary>The message without the leading field path, as used in <c>StatusCause.message</c>.</summary>
    public string MessageWithoutField()
    {
        var text = Type.Text();
        if (HasBadValue && Type is not (FieldErrorType.Required or FieldErrorType.Forbidden or FieldErrorType.Internal))
            text += ": " + FormatValue(BadValue);
        if (Detail.Length > 0) text += ": " + Detail;
        return text;
    }

    public override string ToString() => Field.Length == 0 ? MessageWithoutField() : Field + ": " + MessageWithoutField();

    /// <summary>Go's %#v-like rendering used by field.Error: strings quoted, numbers bare, null as "null".</summary>
    public static string FormatValue(object? value) => value switch
    {
        null => "null",
        string s => GoQuote(s), // %q
        bool b => b ? "true" : "false",
        JsonNode n => n.ToJsonString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };

    /// <summary>Go's strconv.Quote (%q): only quotes, backslashes and unprintable characters are escaped.</summary>
    internal static string GoQuote(string s)
    {
        var sb = new StringBuilder(s.Length + 2).Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f) sb.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    else if (Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse)
                        sb.Append(rune.Value > 0xffff ? "\\U" + rune.Value.ToString("x8", CultureInfo.InvariantCulture) : "\\u" + rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(rune.ToString());
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
