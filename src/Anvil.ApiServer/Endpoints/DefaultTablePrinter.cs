using System.Text.Json.Nodes;
using Anvil.Machinery.Tables;

namespace Anvil.ApiServer.Endpoints;

/// <summary>kube-apiserver's default Table: Name and Created At.</summary>
internal sealed class DefaultTablePrinter : ITablePrinter
{
    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        new("Name", "string", "name", "Name must be unique within a namespace."),
        new("Created At", "date", "", "CreationTimestamp is a timestamp representing the server time when this object was created."),
    ];

    public IReadOnlyList<object?> Cells(JsonObject obj, DateTimeOffset now) =>
        [(string?)obj["metadata"]?["name"] ?? "", (string?)obj["metadata"]?["creationTimestamp"]];
}
