namespace Anvil.Node.Runtime;

/// <summary>cgroup limits of one container (0: unlimited), as the kubelet derives them from resources.</summary>
public sealed record ContainerResources(long CpuShares = 0, long CpuQuota = 0, long CpuPeriod = 100_000, long MemoryLimitBytes = 0, long PidsLimit = 0);
