namespace Anvil.Node.Runtime;

/// <summary>What a pod sandbox needs. Pods share the host network namespace until CNI comes.</summary>
public sealed record PodSandboxConfig(string PodUid, string Namespace, string Name, string Hostname);
