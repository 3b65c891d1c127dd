namespace Anvil.Bench.ApiServer;

/// <summary>RSS and managed heap of this process at one moment.</summary>
internal sealed record MemoryFigures(long RssBytes, long PeakRssBytes, long GcHeapBytes, long GcLiveBytes)
{
    public static MemoryFigures Now() => new(
        Measurement.ProcessMemory.RssBytes(),
        Measurement.ProcessMemory.PeakRssBytes(),
        GC.GetGCMemoryInfo().HeapSizeBytes,
        GC.GetTotalMemory(forceFullCollection: false));
}
