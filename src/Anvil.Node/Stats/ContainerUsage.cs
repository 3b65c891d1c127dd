namespace Anvil.Node.Stats;

/// <summary>The usage of one running container, with the pod it belongs to.</summary>
public sealed record ContainerUsage(string PodUid, string PodNamespace, string PodName, string Container, Usage Usage);
