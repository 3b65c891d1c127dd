namespace Anvil.Node.Network;

/// <summary>
/// How pods are networked: the pod CIDR host-local allocates from, and a prefix that names everything this node
/// creates on the host (netns <c>&lt;prefix&gt;-&lt;pod uid&gt;</c>, the bridge, the CNI container ids), so tests
/// can run beside each other and remove what they made.
/// </summary>
public sealed record PodNetworkOptions
{
    public const string DefaultPodCidr = "10.88.0.0/16";

    public string PodCidr { get; init; } = DefaultPodCidr;
    public string Prefix { get; init; } = "anvil";
    public string CniBinDir { get; init; } = "/usr/lib/cni";

    /// <summary>The bridge: <c>anvil0</c> by default; interface names have at most 15 characters.</summary>
    public string BridgeName => (Prefix + "0").Length <= 15 ? Prefix + "0" : "av" + CniConfig.Hash(Prefix, 8) + "0";

    /// <summary>The CNI network name (host-local's state lives in a directory of this name).</summary>
    public string NetworkName => "anvil";
}
