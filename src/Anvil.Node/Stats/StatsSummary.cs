namespace Anvil.Node.Stats;

/// <summary>What the node knows now (the kubelet's /stats/summary, reduced): its own usage and each container's.</summary>
public sealed record StatsSummary(Usage? Node, IReadOnlyList<ContainerUsage> Containers);
