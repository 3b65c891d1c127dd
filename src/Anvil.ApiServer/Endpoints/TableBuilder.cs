using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Tables;

namespace Anvil.ApiServer.Endpoints;

/// <summary>Builds <c>meta.k8s.io Table</c> responses from objects with the kind's printer.</summary>
public static class TableBuilder
{
    public static JsonObject Build(ResourceDefinition def, IEnumerable<JsonObject> objects, string includeObject, string tableVersion,
        string resourceVersion, string continueToken, bool withColumns, DateTimeOffset now)
    {
        var meta = new JsonObject();
        if (resourceVersion.Length > 0) meta["resourceVersion"] = resourceVersion;
        if (continueToken.Length > 0) meta["continue"] = continueToken;
        var rows = new JsonArray();
        foreach (var obj in objects) rows.Add(Row(def.Printer, obj, includeObject, tableVersion, now));
        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/" + tableVersion,
            ["metadata"] = meta,
            ["columnDefinitions"] = withColumns ? Columns(def.Printer) : new JsonArray(),
            ["rows"] = rows,
        };
    }

    private static JsonArray Columns(ITablePrinter printer)
    {
        var cols = new JsonArray();
        foreach (var c in printer.Columns)
            cols.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format, ["description"] = c.Description, ["priority"] = c.Priority });
        return cols;
    }

    private static JsonObject Row(ITablePrinter printer, JsonObject obj, string includeObject, string tableVersion, DateTimeOffset now)
    {
        var cells = new JsonArray();
        foreach (var cell in printer.Cells(obj, now)) cells.Add(Cell(cell));
        var row = new JsonObject { ["cells"] = cells };
        switch (includeObject)
        {
            case "None":
                break;
            case "Object":
                row["object"] = obj.DeepClone();
                break;
            default:
                row["object"] = PartialObjectMetadata(obj, tableVersion);
                break;
        }
        return row;
    }

    public static JsonObject PartialObjectMetadata(JsonObject obj, string version = "v1") => new()
    {
        ["kind"] = "PartialObjectMetadata",
        ["apiVersion"] = "meta.k8s.io/" + version,
        ["metadata"] = obj["metadata"]?.DeepClone() ?? new JsonObject(),
    };

    private static JsonNode? Cell(object? value) => value switch
    {
        null => null,
        string s => JsonValue.Create(s),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create((long)i),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        JsonNode n => n.DeepClone(),
        _ => JsonValue.Create(value.ToString()),
    };
}
