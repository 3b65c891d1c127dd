using System.Text.Json.Nodes;

namespace Anvil.Bench.Measurement;

/// <summary>Outcome of one measured phase: successful operations, their latencies, failures.</summary>
internal sealed record OpStats(string Name, int Clients, int Ops, int Errors, double Seconds, double P50Ms, double P99Ms, double MaxMs, string? FirstError)
{
    /// <summary>Operations that took at least this long count as stalls.</summary>
    public const double StallMs = 500;

    /// <summary>Operations of at least <see cref="StallMs"/>.</summary>
    public int Stalls { get; init; }

    /// <summary>CPU time of the whole process during the phase per successful operation (NaN when not measured).</summary>
    public double CpuMsPerOp { get; init; } = double.NaN;

    /// <summary>Garbage collections, their pause time and the bytes allocated in the whole process during the phase.</summary>
    public GcFigures? Gc { get; init; }

    /// <summary>Percent of the machine's CPU time the hypervisor took during the phase (<see cref="CpuSteal"/>).</summary>
    public double StealPercent { get; init; } = double.NaN;

    /// <summary>Kilobytes allocated in the whole process (server and clients) per successful operation.</summary>
    public double AllocKbPerOp => Gc is { } g && Ops > 0 ? g.AllocatedBytes / 1024.0 / Ops : double.NaN;

    public double Throughput => Seconds > 0 ? Ops / Seconds : 0;

    /// <summary>Builds the stats from latencies in milliseconds (any order).</summary>
    public static OpStats From(string name, int clients, List<double> latenciesMs, int errors, double seconds, string? firstError)
    {
        latenciesMs.Sort();
        return new OpStats(name, clients, latenciesMs.Count, errors, seconds,
            Percentile(latenciesMs, 0.50), Percentile(latenciesMs, 0.99), latenciesMs.Count > 0 ? latenciesMs[^1] : double.NaN, firstError)
        {
            Stalls = latenciesMs.Count(l => l >= StallMs),
        };
    }

    /// <summary>Nearest-rank percentile of sorted values; NaN when there are none.</summary>
    public static double Percentile(List<double> sorted, double p)
    {
        if (sorted.Count == 0) return double.NaN;
        var rank = (int)Math.Ceiling(p * sorted.Count);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)];
    }

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["clients"] = Clients,
        ["ops"] = Ops,
        ["errors"] = Errors,
        ["seconds"] = Round(Seconds),
        ["opsPerSecond"] = Round(Throughput),
        ["p50Ms"] = Round(P50Ms),
        ["p99Ms"] = Round(P99Ms),
        ["maxMs"] = Round(MaxMs),
        ["stalls"] = Stalls,
        ["cpuMsPerOp"] = Round(CpuMsPerOp),
        ["allocKbPerOp"] = Round(AllocKbPerOp),
        ["stealPercent"] = Round(StealPercent),
        ["gc"] = Gc?.ToJson(),
        ["firstError"] = FirstError,
    };

    public static JsonNode? Round(double v) => double.IsFinite(v) ? JsonValue.Create(Math.Round(v, 3)) : null;
}
