using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

/// <summary>
/// apiextensions-apiserver's table convertor: Name, then one cell per printer column from the first JSONPath
/// result, typed by the column type (missing → null).
/// </summary>
internal sealed class PrinterColumnsTablePrinter : ITablePrinter
{
    private readonly IReadOnlyList<PrinterColumn> _columns;

    public PrinterColumnsTablePrinter(IReadOnlyList<PrinterColumn> columns)
    {
        _columns = columns;
        Columns = [new TableColumn("Name", "string", "name", TableFormat.NameDescription), .. columns.Select(c => c.Column)];
    }

    public IReadOnlyList<TableColumn> Columns { get; }

    public IReadOnlyList<object?> Cells(JsonObject obj, DateTimeOffset now)
    {
        var cells = new object?[_columns.Count + 1];
        cells[0] = Json.Str(obj, "metadata", "name");
        for (var i = 0; i < _columns.Count; i++)
        {
            var results = _columns[i].Path.Evaluate(obj);
            cells[i + 1] = results.Count == 0 ? null : Cell(_columns[i].Column.Type, results[0], now);
        }
        return cells;
    }

    private static object? Cell(string type, JsonNode? value, DateTimeOffset now)
    {
        if (type == "string") return value == null ? null : Text(value);
        if (value == null) return null;
        var kind = value.GetValueKind();
        switch (type)
        {
            case "integer" when kind == JsonValueKind.Number:
                return TryLong(value, out var l) ? l : (long)double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
            case "number" when kind == JsonValueKind.Number:
                return double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture);
            case "boolean" when kind is JsonValueKind.True or JsonValueKind.False:
                return value.GetValue<bool>();
            case "date" when kind == JsonValueKind.String:
                var s = value.GetValue<string>();
                if (s.Length == 0 || s == "null") return "<unknown>";
                return DateTimeOffset.TryParseExact(s, ["yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFFFK"], CultureInfo.InvariantCulture,
                    DateTimeStyles.None, out var t)
                    ? TableFormat.HumanDuration(now - t)
                    : "<invalid>";
            default:
                return null;
        }
    }

    // JSONPath's printing: strings raw, objects and arrays as compact JSON, numbers as Go prints them.
    private static string Text(JsonNode value) => value.GetValueKind() switch
    {
        JsonValueKind.String => value.GetValue<string>(),
        JsonValueKind.Number => TryLong(value, out var l) ? l.ToString(CultureInfo.InvariantCulture)
            : GoFloat(double.Parse(value.ToJsonString(), CultureInfo.InvariantCulture)),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => value.ToJsonString(),
    };

    private static bool TryLong(JsonNode value, out long l) =>
        long.TryParse(value.ToJsonString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l);

    // Go's %v of a float64 (strconv 'g', shortest): exponent form when the exponent is < -4 or >= 6.
    private static string GoFloat(double d)
    {
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var negative = r.StartsWith('-');
        if (negative) r = r[1..];
        var exp = 0;
        var ePos = r.IndexOfAny(['E', 'e']);
        if (ePos >= 0)
        {
            exp = int.Parse(r[(ePos + 1)..], CultureInfo.InvariantCulture);
            r = r[..ePos];
        }
        var dot = r.IndexOf('.');
        var digits = dot >= 0 ? r.Remove(dot, 1) : r;
        var pointPos = (dot >= 0 ? dot : r.Length) + exp; // digits × 10^(pointPos - len)
        var lead = digits.TakeWhile(c => c == '0').Count();
        digits = digits[lead..].TrimEnd('0');
        pointPos -= lead;
        if (digits.Length == 0) return negative ? "-0" : "0";
        var x = pointPos - 1;
        string body;
        if (x < -4 || x >= 6)
        {
            var mantissa = digits.Length > 1 ? digits[0] + "." + digits[1..] : digits;
            body = mantissa + "e" + (x < 0 ? "-" : "+") + Math.Abs(x).ToString("00", CultureInfo.InvariantCulture);
        }
        else if (pointPos <= 0)
            body = "0." + new string('0', -pointPos) + digits;
        else if (pointPos >= digits.Length)
            body = digits + new string('0', pointPos - digits.Length);
        else
            body = digits[..pointPos] + "." + digits[pointPos..];
        return negative ? "-" + body : body;
    }
}
