namespace Anvil.ApiServer.Metrics;

/// <summary>CPU in nanocores averaged over <see cref="Window"/> ending at <see cref="Timestamp"/>; memory working set in bytes.</summary>
public sealed record MetricsUsage(DateTimeOffset Timestamp, TimeSpan Window, ulong NanoCores, ulong MemoryBytes);
