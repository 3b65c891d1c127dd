namespace Anvil.ApiServer.Metrics;

/// <summary>One running container's usage, with the pod it belongs to.</summary>
public sealed record ContainerStatsSummary(string PodNamespace, string PodName, string Container, MetricsUsage Usage);
