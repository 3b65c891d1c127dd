namespace Anvil.Machinery.Instrumentation;

/// <summary>
/// Counts observations into fixed upper bounds (Prometheus histogram): cumulative bucket counts, the sum and the
/// count are what a scrape shows. Safe to observe from any thread.
/// </summary>
public sealed class Histogram
{
    private readonly double[] _bounds;
    private readonly long[] _counts; // per bucket, not cumulative; the last is +Inf
    private long _sumBits;

    public Histogram(IReadOnlyList<double> bounds)
    {
        for (var i = 1; i < bounds.Count; i++)
            if (!(bounds[i] > bounds[i - 1])) throw new ArgumentException("histogram bounds must increase", nameof(bounds));
        _bounds = [.. bounds];
        _counts = new long[_bounds.Length + 1];
    }

    public IReadOnlyList<double> Bounds => _bounds;

    public void Observe(double value)
    {
        // Upper bounds are inclusive (le).
        var i = Array.BinarySearch(_bounds, value);
        if (i < 0) i = ~i;
        Interlocked.Increment(ref _counts[i]);
        Atomic.Add(ref _sumBits, value);
    }

    /// <summary>Cumulative counts per bound then +Inf (the total), and the sum; read without stopping writers.</summary>
    public (long[] Cumulative, double Sum) Snapshot()
    {
        var cumulative = new long[_counts.Length];
        long running = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            running += Volatile.Read(ref _counts[i]);
            cumulative[i] = running;
        }
        return (cumulative, BitConverter.Int64BitsToDouble(Volatile.Read(ref _sumBits)));
    }

    /// <summary>kube-apiserver's request latency buckets (apiserver_request_duration_seconds), in seconds.</summary>
    public static readonly double[] RequestDurationBounds =
        [0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60];
}
