using System.Text;

namespace Anvil.Machinery.Instrumentation;

/// <summary>The metric families a component serves on <c>/metrics</c>, written in name order.</summary>
public sealed class MetricsRegistry
{
    private readonly object _gate = new();
    private readonly SortedDictionary<string, IMetricFamily> _families = new(StringComparer.Ordinal);

    public T Register<T>(T family) where T : IMetricFamily
    {
        lock (_gate)
        {
            if (!_families.TryAdd(family.Name, family)) throw new InvalidOperationException($"metric {family.Name} is registered twice");
        }
        return family;
    }

    /// <summary>The page in the text exposition format.</summary>
    public string Render()
    {
        IMetricFamily[] families;
        lock (_gate) families = [.. _families.Values];
        var text = new StringBuilder(16 * 1024);
        var writer = new MetricsWriter(text);
        foreach (var family in families) family.WriteTo(writer);
        return text.ToString();
    }
}
