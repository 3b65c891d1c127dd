using System.Collections.Concurrent;

namespace Anvil.Machinery.Instrumentation;

/// <summary>One metric name on the <c>/metrics</c> page: its HELP and TYPE lines and its series.</summary>
public interface IMetricFamily
{
    string Name { get; }

    void WriteTo(MetricsWriter writer);
}

/// <summary>
/// A metric with labels: one <typeparamref name="TMetric"/> (<see cref="Counter"/>, <see cref="Gauge"/> or
/// <see cref="Histogram"/>) per distinct key, made on first use. The key is any value with equality (a record struct of
/// the label values keeps the hot path free of allocations); its label values are only computed for a scrape.
/// </summary>
public sealed class MetricFamily<TKey, TMetric> : IMetricFamily where TKey : notnull where TMetric : class
{
    private readonly ConcurrentDictionary<TKey, TMetric> _series = new();
    private readonly string[] _labelNames;
    private readonly Func<TKey, string[]> _labelValues;
    private readonly Func<TKey, TMetric> _create;

    public MetricFamily(string name, string help, string[] labelNames, Func<TKey, string[]> labelValues, Func<TMetric> create)
    {
        MetricsWriter.CheckName(name);
        foreach (var label in labelNames) MetricsWriter.CheckName(label);
        if (typeof(TMetric) != typeof(Counter) && typeof(TMetric) != typeof(Gauge) && typeof(TMetric) != typeof(Histogram))
            throw new ArgumentException($"{typeof(TMetric).Name} is not a metric type");
        Name = name;
        Help = help;
        _labelNames = labelNames;
        _labelValues = labelValues;
        _create = _ => create();
    }

    public string Name { get; }

    public string Help { get; }

    public TMetric this[TKey key] => _series.TryGetValue(key, out var metric) ? metric : _series.GetOrAdd(key, _create);

    public void WriteTo(MetricsWriter writer)
    {
        writer.Header(Name, Help, MetricsWriter.TypeOf(typeof(TMetric)));
        foreach (var (labels, metric) in _series.Select(kv => (_labelValues(kv.Key), kv.Value)).OrderBy(s => s.Item1, LabelOrder.Instance))
            writer.Series(Name, _labelNames, labels, metric);
    }
}

/// <summary>A metric without labels, or one whose series are computed when scraped (process and runtime figures).</summary>
public sealed class CallbackFamily : IMetricFamily
{
    private readonly string _type;
    private readonly string[] _labelNames;
    private readonly Func<IEnumerable<(string[] Labels, object Value)>> _series;

    /// <param name="series">Each series' label values and its value: a double, a <see cref="Counter"/>, <see cref="Gauge"/> or <see cref="Histogram"/>.</param>
    public CallbackFamily(string name, string help, string type, string[] labelNames, Func<IEnumerable<(string[] Labels, object Value)>> series)
    {
        MetricsWriter.CheckName(name);
        if (type is not ("counter" or "gauge" or "histogram")) throw new ArgumentException($"unknown metric type {type}", nameof(type));
        Name = name;
        Help = help;
        _type = type;
        _labelNames = labelNames;
        _series = series;
    }

    public string Name { get; }

    public string Help { get; }

    public static CallbackFamily Of(string name, string help, string type, Func<double> value) =>
        new(name, help, type, [], () => [([], value())]);

    public static CallbackFamily Of(string name, string help, Histogram histogram) =>
        new(name, help, "histogram", [], () => [([], histogram)]);

    public void WriteTo(MetricsWriter writer)
    {
        writer.Header(Name, Help, _type);
        foreach (var (labels, value) in _series().OrderBy(s => s.Labels, LabelOrder.Instance))
            writer.Series(Name, _labelNames, labels, value);
    }
}

/// <summary>Series in a stable order: by their label values.</summary>
internal sealed class LabelOrder : IComparer<string[]>
{
    public static readonly LabelOrder Instance = new();

    public int Compare(string[]? x, string[]? y)
    {
        for (var i = 0; i < Math.Min(x!.Length, y!.Length); i++)
            if (string.CompareOrdinal(x[i], y[i]) is var c and not 0) return c;
        return x.Length.CompareTo(y.Length);
    }
}
