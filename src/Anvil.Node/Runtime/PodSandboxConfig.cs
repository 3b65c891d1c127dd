namespace Anvil.Node.Runtime;

/// <summary>What a pod sandbox needs; <see cref="HostNetwork"/> pods share the host's network namespace.</summary>
public sealed record PodSandboxConfig(string PodUid, string Namespace, string Name, string Hostname, bool HostNetwork = false);
