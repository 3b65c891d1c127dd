using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Plugins;

/// <summary>
/// Node scores 0-100 (framework.MaxNodeScore): NodeResourcesFit's LeastAllocated strategy,
/// NodeResourcesBalancedAllocation, and SelectorSpread-like spreading of one controller's replicas.
/// </summary>
internal static class Scoring
{
    public const long MaxNodeScore = 100;
    public const long LeastAllocatedWeight = 1, BalancedAllocationWeight = 1, SpreadWeight = 2;

    /// <summary>(allocatable - requested) * 100 / allocatable per resource, cpu and memory weighted equally.</summary>
    public static long LeastAllocated(PodInfo pod, NodeInfo node)
    {
        var requested = node.NonZeroRequested + pod.NonZeroRequests;
        return (Least(requested.MilliCpu, node.Allocatable.MilliCpu) + Least(requested.Memory, node.Allocatable.Memory)) / 2;

        static long Least(long requested, long capacity) =>
            capacity == 0 || requested > capacity ? 0 : (capacity - requested) * MaxNodeScore / capacity;
    }

    /// <summary>Prefers nodes whose cpu and memory fractions stay close: (1 - |cpu - memory| / 2) * 100.</summary>
    public static long BalancedAllocation(PodInfo pod, NodeInfo node)
    {
        var requested = node.NonZeroRequested + pod.NonZeroRequests;
        var cpu = Fraction(requested.MilliCpu, node.Allocatable.MilliCpu);
        var memory = Fraction(requested.Memory, node.Allocatable.Memory);
        return (long)((1 - Math.Abs(cpu - memory) / 2) * MaxNodeScore);

        static double Fraction(long requested, long capacity) => capacity == 0 ? 1 : Math.Min(1, (double)requested / capacity);
    }

    /// <summary>Fewer replicas of the pod's controller on a node scores higher: 100 * (max - count) / max over the candidates.</summary>
    public static long Spread(int count, int maxCount) =>
        maxCount == 0 ? MaxNodeScore : MaxNodeScore * (maxCount - count) / maxCount;
}
