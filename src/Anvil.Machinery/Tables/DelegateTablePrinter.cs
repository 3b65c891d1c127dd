using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

/// <summary>A printer made of fixed columns and a cell function.</summary>
internal sealed class DelegateTablePrinter(IReadOnlyList<TableColumn> columns, Func<JsonObject, DateTimeOffset, object?[]> cells) : ITablePrinter
{
    public IReadOnlyList<TableColumn> Columns { get; } = columns;

    public IReadOnlyList<object?> Cells(JsonObject obj, DateTimeOffset now) => cells(obj, now);
}
