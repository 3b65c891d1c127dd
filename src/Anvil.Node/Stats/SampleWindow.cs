namespace Anvil.Node.Stats;

/// <summary>
/// The recent samples of one counter (a container or the node): usage is the rate from the oldest kept sample to
/// the newest, so the window grows to about <see cref="MaxWindow"/> as metrics-server's scrape interval does.
/// Not thread-safe; <see cref="StatsCollector"/> locks around it.
/// </summary>
public sealed class SampleWindow(TimeSpan maxWindow)
{
    private readonly List<CpuSample> _samples = [];

    public TimeSpan MaxWindow { get; } = maxWindow;

    public int Count => _samples.Count;

    public void Add(CpuSample sample)
    {
        // A counter that went backwards belongs to a new cgroup: start over.
        if (_samples.Count > 0 && (sample.CpuNanos < _samples[^1].CpuNanos || sample.Time <= _samples[^1].Time)) _samples.Clear();
        _samples.Add(sample);
        while (_samples.Count > 2 && sample.Time - _samples[1].Time >= MaxWindow) _samples.RemoveAt(0);
    }

    /// <summary>The rate over the kept samples; null until there are two.</summary>
    public Usage? Current()
    {
        if (_samples.Count < 2) return null;
        var (oldest, newest) = (_samples[0], _samples[^1]);
        return newest.NanoCoresSince(oldest) is { } rate ? new Usage(newest.Time, newest.Time - oldest.Time, rate, newest.MemoryBytes) : null;
    }
}
