namespace Anvil.Machinery.Instrumentation;

/// <summary>A value that only goes up (Prometheus counter); safe to add to from any thread.</summary>
public sealed class Counter
{
    private long _bits;

    public double Value => BitConverter.Int64BitsToDouble(Volatile.Read(ref _bits));

    public void Inc(double by = 1)
    {
        if (by < 0) throw new ArgumentOutOfRangeException(nameof(by), "a counter only goes up");
        Atomic.Add(ref _bits, by);
    }
}

/// <summary>A value that goes up and down (Prometheus gauge); safe to change from any thread.</summary>
public sealed class Gauge
{
    private long _bits;

    public double Value => BitConverter.Int64BitsToDouble(Volatile.Read(ref _bits));

    public void Set(double value) => Volatile.Write(ref _bits, BitConverter.DoubleToInt64Bits(value));

    public void Inc(double by = 1) => Atomic.Add(ref _bits, by);

    public void Dec(double by = 1) => Atomic.Add(ref _bits, -by);
}

/// <summary>Adds to a double kept as its bits in a long, without a lock.</summary>
internal static class Atomic
{
    public static void Add(ref long bits, double by)
    {
        while (true)
        {
            var seen = Volatile.Read(ref bits);
            var next = BitConverter.DoubleToInt64Bits(BitConverter.Int64BitsToDouble(seen) + by);
            if (Interlocked.CompareExchange(ref bits, next, seen) == seen) return;
        }
    }
}
