namespace Anvil.ApiServer.Metrics;

/// <summary>
/// Nodes' resource usage, as metrics-server scrapes it from each kubelet (<see cref="Kubelet.KubeletStats"/> reads
/// the kubelet's <c>/stats/summary</c> over HTTPS).
/// </summary>
public interface INodeStats
{
    /// <summary>The usage the node reports now; null when the node cannot be asked (no kubelet, unreachable).</summary>
    Task<NodeStatsSummary?> SummaryAsync(string nodeName, CancellationToken ct);
}
