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
        string s => GoQuote.Quote(s), // %q
        bool b => b ? "true" : "false",
        JsonNode n => n.ToJsonString(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };
}
