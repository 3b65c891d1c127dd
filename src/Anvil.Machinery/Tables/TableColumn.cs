namespace Anvil.Machinery.Tables;

/// <summary>A <c>meta.k8s.io/v1 TableColumnDefinition</c>. Priority 0 shows by default; 1 only with <c>-o wide</c>.</summary>
public sealed record TableColumn(string Name, string Type, string Format, string Description, int Priority = 0);
