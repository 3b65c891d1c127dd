namespace Anvil.Node.Proxy;

/// <summary>
/// How the service proxy programs iptables: the prefix of every chain it owns (kube-proxy's <c>KUBE-</c>), the pod
/// CIDR (traffic from outside it to a ClusterIP is masqueraded, like kube-proxy's --cluster-cidr) and the
/// packet mark bit that asks for masquerade.
/// </summary>
public sealed record ProxyOptions
{
    public string ChainPrefix { get; init; } = "ANVIL-";
    public string PodCidr { get; init; } = Network.PodNetworkOptions.DefaultPodCidr;
    public string MasqueradeMark { get; init; } = "0x4000";
    /// <summary>This node (endpoints' nodeName), for internalTrafficPolicy Local; null: no endpoint is local.</summary>
    public string? NodeName { get; init; }
    /// <summary>How often everything is rewritten even without changes (repairs rules someone else removed).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>nat: the service portals (from PREROUTING and OUTPUT); filter: rejects for services without endpoints.</summary>
    public string ServicesChain => ChainPrefix + "SERVICES";
    /// <summary>filter: rejects for node ports without endpoints (from INPUT and FORWARD; kube-proxy's KUBE-EXTERNAL-SERVICES).</summary>
    public string ExternalServicesChain => ChainPrefix + "EXT-SERVICES";
    /// <summary>nat: node port DNAT, the last jump of <see cref="ServicesChain"/> for local destinations.</summary>
    public string NodePortsChain => ChainPrefix + "NODEPORTS";
    public string PostroutingChain => ChainPrefix + "POSTROUTING";
    public string MarkMasqChain => ChainPrefix + "MARK-MASQ";
}
