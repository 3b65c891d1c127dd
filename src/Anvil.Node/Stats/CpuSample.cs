namespace Anvil.Node.Stats;

/// <summary>One reading of a cumulative CPU counter and a memory gauge at a time.</summary>
public readonly record struct CpuSample(DateTimeOffset Time, ulong CpuNanos, ulong MemoryBytes)
{
    /// <summary>
    /// CPU usage in nanocores (nanoseconds of CPU per second) from <paramref name="older"/> to this sample; null when
    /// the window is empty or the counter went backwards (a new cgroup under the same key).
    /// </summary>
    public ulong? NanoCoresSince(CpuSample older)
    {
        var seconds = (Time - older.Time).TotalSeconds;
        if (seconds <= 0 || CpuNanos < older.CpuNanos) return null;
        return (ulong)Math.Round((CpuNanos - older.CpuNanos) / seconds);
    }
}
