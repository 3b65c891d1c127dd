using Anvil.ApiServer.Kubelet;
using Anvil.Node.Stats;

namespace Anvil.Node.Tests;

/// <summary>The kubelet's /stats/summary document and what the API server's metrics read back from it.</summary>
public sealed class SummaryApiTests
{
    private static readonly DateTimeOffset At = new(2026, 3, 1, 12, 0, 5, TimeSpan.Zero);

    [Fact]
    public void RendersTheSummaryApiShape()
    {
        var usage = new Usage(At, TimeSpan.FromSeconds(10), 200_000_000, 1_048_576);
        var summary = new StatsSummary(usage, [
            new ContainerUsage("u1", "ns", "web", "side", usage with { NanoCores = 5, MemoryBytes = 10 }),
            new ContainerUsage("u1", "ns", "web", "app", usage),
        ]);

        Assert.Equal("""
            {"node":{"nodeName":"n1","cpu":{"time":"2026-03-01T12:00:05Z","usageNanoCores":200000000},"memory":{"time":"2026-03-01T12:00:05Z","workingSetBytes":1048576}},"pods":[{"podRef":{"name":"web","namespace":"ns","uid":"u1"},"containers":[{"name":"app","cpu":{"time":"2026-03-01T12:00:05Z","usageNanoCores":200000000},"memory":{"time":"2026-03-01T12:00:05Z","workingSetBytes":1048576}},{"name":"side","cpu":{"time":"2026-03-01T12:00:05Z","usageNanoCores":5},"memory":{"time":"2026-03-01T12:00:05Z","workingSetBytes":10}}],"cpu":{"time":"2026-03-01T12:00:05Z","usageNanoCores":200000005},"memory":{"time":"2026-03-01T12:00:05Z","workingSetBytes":1048586}}]}
            """, SummaryApi.Render("n1", summary).ToJsonString());
    }

    [Fact]
    public void TheApiServerReadsItBack()
    {
        var usage = new Usage(At, TimeSpan.FromSeconds(10), 7, 4096);
        var parsed = KubeletStats.Parse(SummaryApi.Render("n1", new StatsSummary(usage, [new ContainerUsage("u1", "ns", "web", "app", usage)])));

        Assert.Equal(new Anvil.ApiServer.Metrics.MetricsUsage(At, KubeletStats.Window, 7, 4096), parsed.Node);
        var c = Assert.Single(parsed.Containers);
        Assert.Equal(("ns", "web", "app", 7UL, 4096UL, At), (c.PodNamespace, c.PodName, c.Container, c.Usage.NanoCores, c.Usage.MemoryBytes, c.Usage.Timestamp));
    }

    [Fact]
    public void ANodeWithoutSamplesHasNoUsage()
    {
        var parsed = KubeletStats.Parse(SummaryApi.Render("n1", new StatsSummary(null, [])));
        Assert.Null(parsed.Node);
        Assert.Empty(parsed.Containers);
    }
}
