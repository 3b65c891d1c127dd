namespace Anvil.ApiServer.Metrics;

/// <summary>
/// A node's resource usage, as metrics-server scrapes it from the kubelet's <c>/metrics/resource</c>. Today the
/// node agent runs in the API server's process and registers itself in <c>ApiHandler.NodeStats</c>; a remote
/// node will be reached over the kubelet's HTTPS port through the same seam.
/// </summary>
public interface INodeStats
{
    /// <summary>The usage known now (may sample first when the node has none yet).</summary>
    Task<NodeStatsSummary> SummaryAsync(CancellationToken ct);
}
