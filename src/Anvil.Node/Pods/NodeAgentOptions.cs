using Anvil.Node.Images;
using Anvil.Node.Network;
using Anvil.Node.Runtime;

namespace Anvil.Node.Pods;

/// <summary>How a <see cref="NodeAgent"/> runs: its node name, data dir, and (for tests) runtime and images.</summary>
public sealed class NodeAgentOptions
{
    public required string DataDir { get; init; }
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();
    /// <summary>The node's address; 127.0.0.1 until the agent runs on other machines.</summary>
    public string HostIP { get; init; } = "127.0.0.1";
    /// <summary>The kubelet server's port, published in Node status.daemonEndpoints.kubeletEndpoint.</summary>
    public int KubeletPort { get; init; } = 10250;
    public IRuntimeService? Runtime { get; init; }
    public ImageStore? Images { get; init; }
    /// <summary>The pod network of the default runtime (null: pods share the host's network namespace).</summary>
    public PodNetworkOptions? Network { get; init; }

    /// <summary>Labels the node registers with besides the kubelet's own (hostname, os, arch); e.g. its role.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(40);
    public TimeSpan RenewInterval { get; init; } = TimeSpan.FromSeconds(10);
}
