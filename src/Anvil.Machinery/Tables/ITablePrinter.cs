using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

/// <summary>
/// Turns objects of one kind into Table rows with kube-apiserver's columns
/// (pkg/printers/internalversion/printers.go). Cells are string, long, double, bool or null.
/// Implementations are stateless and thread-safe.
/// </summary>
public interface ITablePrinter
{
    IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The cells of one row, one per column; <paramref name="now"/> is used for ages.</summary>
    IReadOnlyList<object?> Cells(JsonObject obj, DateTimeOffset now);
}
