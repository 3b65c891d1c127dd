namespace Anvil.ApiServer.Metrics;

/// <summary>A node's usage (null: not known yet) and that of its running containers.</summary>
public sealed record NodeStatsSummary(MetricsUsage? Node, IReadOnlyList<ContainerStatsSummary> Containers);
