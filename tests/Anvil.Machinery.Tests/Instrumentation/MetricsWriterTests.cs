using Anvil.Machinery.Instrumentation;

namespace Anvil.Machinery.Tests.Instrumentation;

/// <summary>The Prometheus text format as a scraper reads it: HELP/TYPE lines, escaping, cumulative histograms.</summary>
public sealed class MetricsWriterTests
{
    private readonly record struct Key(string Verb, string Code);

    [Fact]
    public void LabeledCounterSeriesAreWrittenInLabelOrder()
    {
        var registry = new MetricsRegistry();
        var requests = registry.Register(new MetricFamily<Key, Counter>("requests_total", "Requests.", ["verb", "code"], k => [k.Verb, k.Code], () => new Counter()));
        requests[new("LIST", "200")].Inc();
        requests[new("GET", "404")].Inc(2);
        requests[new("GET", "200")].Inc();
        requests[new("GET", "200")].Inc();

        Assert.Equal("""
            # HELP requests_total Requests.
            # TYPE requests_total counter
            requests_total{verb="GET",code="200"} 2
            requests_total{verb="GET",code="404"} 2
            requests_total{verb="LIST",code="200"} 1

            """.Replace("\r", ""), registry.Render());
    }

    [Fact]
    public void HistogramBucketsAreCumulativeWithInfSumAndCount()
    {
        var registry = new MetricsRegistry();
        var h = new Histogram([0.005, 0.1, 1]);
        registry.Register(CallbackFamily.Of("latency_seconds", "Latency.", h));
        foreach (var v in new[] { 0.001, 0.005, 0.05, 0.5, 2.0 }) h.Observe(v);

        Assert.Equal("""
            # HELP latency_seconds Latency.
            # TYPE latency_seconds histogram
            latency_seconds_bucket{le="0.005"} 2
            latency_seconds_bucket{le="0.1"} 3
            latency_seconds_bucket{le="1"} 4
            latency_seconds_bucket{le="+Inf"} 5
            latency_seconds_sum 2.556
            latency_seconds_count 5

            """.Replace("\r", ""), registry.Render());
    }

    [Fact]
    public void LabelValuesAndHelpAreEscaped()
    {
        var registry = new MetricsRegistry();
        registry.Register(new CallbackFamily("odd", "Back\\slash and\nnewline.", "gauge", ["path"], () => [(["a\"b\\c\nd"], 1.5)]));

        Assert.Equal("# HELP odd Back\\\\slash and\\nnewline.\n# TYPE odd gauge\nodd{path=\"a\\\"b\\\\c\\nd\"} 1.5\n", registry.Render());
    }

    [Fact]
    public void FamiliesAreWrittenByNameAndOnlyOnce()
    {
        var registry = new MetricsRegistry();
        registry.Register(CallbackFamily.Of("b_total", "B.", "counter", () => 1));
        registry.Register(CallbackFamily.Of("a", "A.", "gauge", () => 1e21));

        var text = registry.Render();

        Assert.True(text.IndexOf("# HELP a ", StringComparison.Ordinal) < text.IndexOf("# HELP b_total ", StringComparison.Ordinal));
        Assert.Contains("\na 1E+21\n", text);
        Assert.Throws<InvalidOperationException>(() => registry.Register(CallbackFamily.Of("a", "again", "gauge", () => 2)));
    }

    [Theory]
    [InlineData(double.PositiveInfinity, "+Inf")]
    [InlineData(double.NegativeInfinity, "-Inf")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(0.1, "0.1")]
    [InlineData(60, "60")]
    [InlineData(-2.5, "-2.5")]
    public void NumbersReadBackAsGoParsesThem(double value, string text) => Assert.Equal(text, MetricsWriter.Number(value));

    [Theory]
    [InlineData("")]
    [InlineData("1st")]
    [InlineData("with-dash")]
    [InlineData("with space")]
    public void InvalidNamesAreRefused(string name) =>
        Assert.Throws<ArgumentException>(() => CallbackFamily.Of(name, "x", "gauge", () => 1));

    [Fact]
    public void MisuseIsRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Counter().Inc(-1));
        Assert.Throws<ArgumentException>(() => new Histogram([1, 1]));
        Assert.Throws<ArgumentException>(() => new CallbackFamily("x", "x", "summary", [], () => []));
        var registry = new MetricsRegistry();
        registry.Register(new CallbackFamily("wrong", "Label count.", "gauge", ["a", "b"], () => [(["only one"], 1.0)]));
        Assert.Throws<ArgumentException>(() => registry.Render());
    }

    [Fact]
    public void ConcurrentAddsAreAllCounted()
    {
        var counter = new Counter();
        var gauge = new Gauge();
        var h = new Histogram([1]);

        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                counter.Inc();
                gauge.Inc();
                gauge.Dec(0.5);
                h.Observe(0.5);
            }
        });

        Assert.Equal(80_000, counter.Value);
        Assert.Equal(40_000, gauge.Value);
        var (cumulative, sum) = h.Snapshot();
        Assert.Equal([80_000, 80_000], cumulative);
        Assert.Equal(40_000, sum);
    }

    [Fact]
    public void RuntimeMetricsDescribeThisProcess()
    {
        var registry = new MetricsRegistry();
        RuntimeMetrics.Register(registry);

        var lines = registry.Render().Split('\n');

        double Value(string series) => double.Parse(lines.Single(l => l.StartsWith(series + " ", StringComparison.Ordinal))[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(Value("process_resident_memory_bytes"), 1e6, 1e11);
        Assert.True(Value("process_cpu_seconds_total") > 0);
        Assert.InRange(Value("process_open_fds"), 3, Value("process_max_fds"));
        Assert.InRange(Value("process_start_time_seconds"), DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.True(Value("dotnet_gc_collections_total{generation=\"0\"}") >= Value("dotnet_gc_collections_total{generation=\"2\"}"));
        Assert.True(Value("dotnet_jit_compiled_methods_total") > 0);
    }
}
