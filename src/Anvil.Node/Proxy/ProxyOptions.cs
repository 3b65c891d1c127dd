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
    /// <summary>How often everything is rewritten even without changes (repairs rules someone else removed).</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(30);

    public string ServicesChain => ChainPrefix + "SERVICES";
    public string PostroutingChain => ChainPrefix + "POSTROUTING";
    public string MarkMasqChain => ChainPrefix + "MARK-MASQ";
}
