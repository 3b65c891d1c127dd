using Anvil.Node.Network;

namespace Anvil.E2E.Harness;

/// <summary>
/// An <c>anvil up</c> with its node agent: pods bound to this host run as real containers on the CNI bridge
/// network, and the service proxy programs iptables. Each server has its own network prefix (netns, bridge,
/// iptables chains) and a random /24 pod CIDR, all removed on dispose.
/// </summary>
public sealed class AnvilNodeServer : AnvilServer
{
    protected override bool WithNode => true;

    /// <summary>The node's name: the host name, as the agent registers it.</summary>
    public static string NodeName => Environment.MachineName.ToLowerInvariant();

    public string NetworkPrefix { get; } = "anve" + Guid.NewGuid().ToString("N")[..6];

    public string PodCidr { get; } = $"10.{Random.Shared.Next(200, 250)}.{Random.Shared.Next(0, 256)}.0/24";

    public string ChainPrefix => NetworkPrefix.ToUpperInvariant() + "-";

    protected override IEnumerable<string> ExtraArgs => ["--pod-cidr", PodCidr, "--network-prefix", NetworkPrefix];

    protected override Task CleanupHostAsync() =>
        Environment.UserName == "root"
            ? NetworkCleanup.RemoveAsync(new PodNetworkOptions { Prefix = NetworkPrefix, PodCidr = PodCidr }, ChainPrefix)
            : Task.CompletedTask;
}
