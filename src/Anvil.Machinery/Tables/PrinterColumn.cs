namespace Anvil.Machinery.Tables;

/// <summary>One CRD additionalPrinterColumn: its Table column and its compiled JSONPath.</summary>
internal sealed record PrinterColumn(TableColumn Column, SimpleJsonPath Path);
