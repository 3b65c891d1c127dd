using System.Text.Json.Nodes;
using Anvil.Machinery.Tables;

namespace Anvil.ApiServer.Metrics;

/// <summary>
/// metrics-server's Table for PodMetrics and NodeMetrics: Name, cpu, memory (a pod's summed over its containers,
/// as quantities) and Window.
/// </summary>
public sealed class MetricsTablePrinter : ITablePrinter
{
    public static MetricsTablePrinter Instance { get; } = new();

    public IReadOnlyList<TableColumn> Columns { get; } =
    [
        new TableColumn("Name", "string", "name", "Name of the resource"),
        new TableColumn("cpu", "string", "quantity", ""),
        new TableColumn("memory", "string", "quantity", ""),
        new TableColumn("Window", "string", "duration", ""),
    ];

    public IReadOnlyList<object?> Cells(JsonObject obj, DateTimeOffset now)
    {
        var usages = obj["usage"] is JsonObject u ? [u] : (obj["containers"] as JsonArray ?? []).Select(c => c?["usage"] as JsonObject).OfType<JsonObject>().ToList();
        ulong cpu = 0, memory = 0;
        foreach (var usage in usages)
        {
            cpu += Anvil.Machinery.Validation.QuantityValidation.TryParse((string?)usage["cpu"] ?? "0", out var c, out _) ? (ulong)(c * 1_000_000_000m) : 0;
            memory += Anvil.Machinery.Validation.QuantityValidation.TryParse((string?)usage["memory"] ?? "0", out var m, out _) ? (ulong)m : 0;
        }
        return [(string?)obj["metadata"]?["name"] ?? "", MetricsFormat.Cpu(cpu), MetricsFormat.Memory(memory), (string?)obj["window"] ?? ""];
    }
}
