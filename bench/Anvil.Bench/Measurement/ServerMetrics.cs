using System.Globalization;
using Anvil.Bench.ApiServer;

namespace Anvil.Bench.Measurement;

/// <summary>
/// A scrape of anvil up's <c>/metrics</c>: series → value, so a phase can print what happened inside the server (its
/// collections and their pauses, JIT time, store commits) from the difference of two scrapes.
/// </summary>
internal sealed class ServerMetrics(Dictionary<string, double> series)
{
    private readonly Dictionary<string, double> _series = series;

    public static async Task<ServerMetrics> ScrapeAsync(BenchClient admin, CancellationToken ct) =>
        Parse(System.Text.Encoding.UTF8.GetString(await admin.GetAsync("/metrics", ct, "text/plain").ConfigureAwait(false)));

    public static async Task<ServerMetrics> ScrapeAsync(Anvil.Client.KubeClient admin, CancellationToken ct) =>
        Parse(await admin.GetTextAsync("/metrics", ct).ConfigureAwait(false));

    private static ServerMetrics Parse(string text)
    {
        var series = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var v)) series[line[..space]] = v;
        }
        return new ServerMetrics(series);
    }

    public double this[string name] => _series.TryGetValue(name, out var v) ? v : 0;

    /// <summary>These figures plus what changed from <paramref name="before"/> to <paramref name="after"/> (to add up rounds; counters and histograms only).</summary>
    public ServerMetrics Plus(ServerMetrics before, ServerMetrics after)
    {
        var sum = new Dictionary<string, double>(_series, StringComparer.Ordinal);
        foreach (var (name, value) in after._series) sum[name] = this[name] + value - before[name];
        return new ServerMetrics(sum);
    }

    /// <summary>
    /// The <paramref name="q"/> quantile of what a histogram counted between two scrapes, interpolated within its
    /// bucket as Prometheus' histogram_quantile does (so a bucket's width bounds the error); NaN without observations.
    /// </summary>
    public static double Quantile(ServerMetrics before, ServerMetrics after, string histogram, double q)
    {
        var buckets = after.Bounds(histogram).Select(b => (b.Bound, Count: after[b.Series] - before[b.Series])).ToList();
        var total = buckets.Count > 0 ? buckets[^1].Count : 0;
        if (total <= 0) return double.NaN;
        var rank = q * total;
        var (lower, below) = (0.0, 0.0);
        foreach (var (bound, count) in buckets)
        {
            if (count >= rank)
                return double.IsPositiveInfinity(bound) ? lower : lower + (bound - lower) * ((rank - below) / Math.Max(1, count - below));
            (lower, below) = (bound, count);
        }
        return lower;
    }

    private IEnumerable<(double Bound, string Series)> Bounds(string histogram)
    {
        var prefix = histogram + "_bucket{le=\"";
        return _series.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => (Bound: k[prefix.Length..^2] == "+Inf" ? double.PositiveInfinity : double.Parse(k[prefix.Length..^2], CultureInfo.InvariantCulture), Series: k))
            .OrderBy(b => b.Bound);
    }

    /// <summary>One line on what the server did between two scrapes: collections, pauses, JIT, commits.</summary>
    public static string Describe(ServerMetrics before, ServerMetrics after)
    {
        double D(string s) => after[s] - before[s];
        var gc0 = D("dotnet_gc_collections_total{generation=\"0\"}");
        var gc1 = D("dotnet_gc_collections_total{generation=\"1\"}");
        var gc2 = D("dotnet_gc_collections_total{generation=\"2\"}");
        var pause = D("dotnet_gc_pause_seconds_total") * 1000;
        var commits = D("anvil_storage_commit_duration_seconds_count");
        var writes = D("anvil_storage_commit_writes_sum");
        var commitP50 = Quantile(before, after, "anvil_storage_commit_duration_seconds", 0.5) * 1000;
        var commitP99 = Quantile(before, after, "anvil_storage_commit_duration_seconds", 0.99) * 1000;
        return $"server: {gc0:0}/{gc1:0}/{gc2:0} collections (gen0/1/2), {pause:0.0} ms paused ({(gc0 > 0 ? pause / gc0 : 0):0.00} ms each), " +
            $"JIT {D("dotnet_jit_compilation_seconds_total") * 1000:0} ms (time in compilations, waits for the CPU included); {commits:0} commits of {(commits > 0 ? writes / commits : 0):0.0} writes, " +
            $"commit p50 {commitP50:0.00} ms, p99 {commitP99:0.00} ms";
    }
}
