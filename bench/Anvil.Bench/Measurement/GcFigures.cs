using System.Text.Json.Nodes;

namespace Anvil.Bench.Measurement;

/// <summary>
/// Collection counts per generation, total GC pause time and allocated bytes of this process; the difference of
/// two snapshots describes a phase (server and clients together, like the CPU time).
/// </summary>
internal sealed record GcFigures(int Gen0, int Gen1, int Gen2, double PauseMs, long AllocatedBytes)
{
    public static GcFigures Now() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
        GC.GetTotalPauseDuration().TotalMilliseconds, GC.GetTotalAllocatedBytes(precise: false));

    public static GcFigures operator -(GcFigures a, GcFigures b) =>
        new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.PauseMs - b.PauseMs, a.AllocatedBytes - b.AllocatedBytes);

    public JsonObject ToJson() => new()
    {
        ["gen0"] = Gen0,
        ["gen1"] = Gen1,
        ["gen2"] = Gen2,
        ["pauseMs"] = OpStats.Round(PauseMs),
        ["allocatedBytes"] = AllocatedBytes,
    };
}
