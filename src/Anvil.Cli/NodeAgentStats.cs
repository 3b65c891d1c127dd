using Anvil.ApiServer.Metrics;
using Anvil.Node.Stats;

namespace Anvil.Cli;

/// <summary>
/// The in-process node agent's <see cref="StatsCollector"/> as the metrics API's source for its node (an
/// in-process seam for now; a remote node will be scraped over the kubelet's HTTPS port).
/// </summary>
internal sealed class NodeAgentStats(StatsCollector collector) : INodeStats
{
    public async Task<NodeStatsSummary> SummaryAsync(CancellationToken ct)
    {
        var s = await collector.SummaryAsync(ct).ConfigureAwait(false);
        return new NodeStatsSummary(s.Node is { } n ? Map(n) : null,
            s.Containers.Select(c => new ContainerStatsSummary(c.PodNamespace, c.PodName, c.Container, Map(c.Usage))).ToList());
    }

    private static MetricsUsage Map(Usage u) => new(u.Timestamp, u.Window, u.NanoCores, u.MemoryBytes);
}
