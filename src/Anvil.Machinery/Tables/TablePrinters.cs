using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Tables;

/// <summary>The Table printers kube-apiserver 1.32 uses, by kind.</summary>
public static class TablePrinters
{
    /// <summary>
    /// The printer of a built-in kind (pkg/printers/internalversion), or <see cref="Default"/> for kinds without one
    /// (roles, clusterroles, limitranges, customresourcedefinitions, ...). Custom resources use
    /// <see cref="FromPrinterColumns"/>, also when their CRD declares no columns.
    /// </summary>
    public static ITablePrinter For(string group, string kind) =>
        BuiltInPrinters.All.TryGetValue((group, kind), out var printer) ? printer : Default;

    /// <summary>rest.NewDefaultTableConvertor: Name and "Created At" (the creationTimestamp as RFC3339, UTC).</summary>
    public static ITablePrinter Default { get; } = new DelegateTablePrinter(
        [
            new TableColumn("Name", "string", "name", TableFormat.NameDescription),
            new TableColumn("Created At", "date", "", TableFormat.CreationTimestampDescription),
        ],
        (o, _) =>
        [
            Json.Str(o, "metadata", "name"),
            (Json.Time(o, "metadata", "creationTimestamp") ?? DateTimeOffset.MinValue).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
        ]);

    /// <summary>
    /// The printer of a custom resource version from its CRD's <c>additionalPrinterColumns</c> (name, type, format,
    /// description, priority, jsonPath), after a leading Name column. No columns means the default Age column, as
    /// apiextensions-apiserver serves. A jsonPath that cannot be parsed is a 500, as upstream.
    /// </summary>
    public static ITablePrinter FromPrinterColumns(JsonArray? columns)
    {
        var defs = columns?.OfType<JsonObject>().ToList() ?? [];
        if (defs.Count == 0)
        {
            defs.Add(new JsonObject
            {
                ["name"] = "Age", ["type"] = "date", ["description"] = TableFormat.CreationTimestampDescription,
                ["jsonPath"] = ".metadata.creationTimestamp",
            });
        }
        var printerColumns = new List<PrinterColumn>();
        foreach (var def in defs)
        {
            var jsonPath = Json.Str(def, "jsonPath");
            var path = SimpleJsonPath.TryParse(jsonPath)
                       ?? throw StatusError.InternalError("the server could not properly serve the CR columns");
            var description = Json.Str(def, "description");
            if (description.Length == 0) description = "Custom resource definition column (in JSONPath format): " + jsonPath;
            var column = new TableColumn(Json.Str(def, "name"), Json.Str(def, "type"), Json.Str(def, "format"), description, (int)Json.Int(def, "priority"));
            printerColumns.Add(new PrinterColumn(column, path));
        }
        return new PrinterColumnsTablePrinter(printerColumns);
    }
}
