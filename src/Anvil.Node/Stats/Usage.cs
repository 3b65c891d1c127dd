namespace Anvil.Node.Stats;

/// <summary>A rate over a window: CPU in nanocores, memory working set in bytes at the window's end.</summary>
public sealed record Usage(DateTimeOffset Timestamp, TimeSpan Window, ulong NanoCores, ulong MemoryBytes);
