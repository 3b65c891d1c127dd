using Anvil.Bench.Measurement;

namespace Anvil.Bench.ApiServer;

/// <summary>Everything one run measured; phases that failed leave their figures null.</summary>
internal sealed class BenchResults
{
    public required BenchOptions Options { get; init; }
    public string Protocol { get; set; } = "?";
    public double ServerStartSeconds { get; set; }
    public double TotalSeconds { get; set; }
    public int ObjectBytes { get; set; }
    public OpStats? Preload { get; set; }
    public List<OpStats> Ops { get; } = [];
    public List<ListFigures> Lists { get; } = [];
    public LayerProbe? Layers { get; set; }
    public WatchProbe? Watch { get; set; }
    public SqliteBaseline? Baseline { get; set; }
    public MemoryFigures? MemoryIdle { get; set; }
    public MemoryFigures? MemoryAfter { get; set; }
    public AnvilUpProbe? AnvilUp { get; set; }
    public SeparateServerProbe? Separate { get; set; }
    public List<string> Failures { get; } = [];
    public string LoadAverageStart { get; set; } = "?";
    public string LoadAverageEnd { get; set; } = "?";

    public OpStats? Op(string name, int clients) => Ops.FirstOrDefault(o => o.Name == name && o.Clients == clients);
}
