using System.Globalization;
using System.Text;

namespace Anvil.Machinery.Instrumentation;

/// <summary>The Prometheus text exposition format, version 0.0.4 (what kube-apiserver's <c>/metrics</c> answers).</summary>
public sealed class MetricsWriter(StringBuilder text)
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public void Header(string name, string help, string type)
    {
        text.Append("# HELP ").Append(name).Append(' ');
        foreach (var c in help)
        {
            if (c == '\\') text.Append(@"\\");
            else if (c == '\n') text.Append(@"\n");
            else text.Append(c);
        }
        text.Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    /// <summary>One series: a sample line, or for a histogram its buckets, sum and count.</summary>
    public void Series(string name, string[] labelNames, string[] labelValues, object value)
    {
        if (labelNames.Length != labelValues.Length) throw new ArgumentException($"{name}: {labelNames.Length} label names, {labelValues.Length} values");
        switch (value)
        {
            case Histogram h:
                var (cumulative, sum) = h.Snapshot();
                for (var i = 0; i < cumulative.Length; i++)
                    Sample(name + "_bucket", labelNames, labelValues, ("le", i < h.Bounds.Count ? Number(h.Bounds[i]) : "+Inf"), cumulative[i]);
                Sample(name + "_sum", labelNames, labelValues, null, sum);
                Sample(name + "_count", labelNames, labelValues, null, cumulative[^1]);
                break;
            case Counter c:
                Sample(name, labelNames, labelValues, null, c.Value);
                break;
            case Gauge g:
                Sample(name, labelNames, labelValues, null, g.Value);
                break;
            case double d:
                Sample(name, labelNames, labelValues, null, d);
                break;
            default:
                throw new ArgumentException($"{name}: {value.GetType().Name} is not a metric value");
        }
    }

    private void Sample(string name, string[] labelNames, string[] labelValues, (string Name, string Value)? extra, double value)
    {
        text.Append(name);
        if (labelNames.Length > 0 || extra != null)
        {
            text.Append('{');
            var first = true;
            for (var i = 0; i < labelNames.Length; i++) Label(labelNames[i], labelValues[i], ref first);
            if (extra is { } e) Label(e.Name, e.Value, ref first);
            text.Append('}');
        }
        text.Append(' ').Append(Number(value)).Append('\n');
    }

    private void Label(string name, string value, ref bool first)
    {
        if (!first) text.Append(',');
        first = false;
        text.Append(name).Append("=\"");
        foreach (var c in value)
        {
            if (c == '\\') text.Append(@"\\");
            else if (c == '"') text.Append("\\\"");
            else if (c == '\n') text.Append(@"\n");
            else text.Append(c);
        }
        text.Append('"');
    }

    /// <summary>As Go's strconv.FormatFloat(v, 'g', -1, 64) reads back: shortest round trip, +Inf, -Inf, NaN.</summary>
    public static string Number(double v) =>
        double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf" : double.IsNaN(v) ? "NaN" : v.ToString("R", CultureInfo.InvariantCulture);

    internal static string TypeOf(Type metric) =>
        metric == typeof(Counter) ? "counter" : metric == typeof(Gauge) ? "gauge" : "histogram";

    /// <summary>Metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without the colon, which only names use).</summary>
    internal static void CheckName(string name)
    {
        if (name.Length == 0 || char.IsAsciiDigit(name[0]) || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or ':'))
            throw new ArgumentException($"invalid metric or label name \"{name}\"", nameof(name));
    }
}
