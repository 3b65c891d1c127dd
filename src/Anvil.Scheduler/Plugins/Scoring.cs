using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Plugins;

/// <summary>
/// Node scores 0-100 (framework.MaxNodeScore): NodeResourcesFit's LeastAllocated strategy,
/// NodeResourcesBalancedAllocation, and SelectorSpread-like spreading of one controller's replicas.
/// </summary>
internal static class Scoring
{
    public const long MaxNodeScore = 100;
    public const long LeastAllocatedWeight = 1, BalancedAllocationWeight = 1, SpreadWeight = 2, NodeAffinityWeight = 2, TaintTolerationWeight = 3;

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

    /// <summary>NodeAffinity's raw score: the summed weights of the preferred terms the node matches.</summary>
    public static long PreferredAffinity(PodInfo pod, NodeInfo node)
    {
        long sum = 0;
        foreach (var (weight, term) in pod.PreferredAffinity)
            if (term.Matches(node.Name, node.Labels)) sum += weight;
        return sum;
    }

    /// <summary>TaintToleration's raw score: PreferNoSchedule taints the pod does not tolerate (fewer is better).</summary>
    public static long IntolerablePreferNoSchedule(PodInfo pod, NodeInfo node)
    {
        long count = 0;
        foreach (var taint in node.PreferNoScheduleTaints)
        {
            var tolerated = false;
            foreach (var t in pod.Tolerations)
                if ((t.Effect.Length == 0 || t.Effect == "PreferNoSchedule") && t.Tolerates(taint)) tolerated = true;
            if (!tolerated) count++;
        }
        return count;
    }

    /// <summary>helper.DefaultNormalizeScore: scales raw scores to 0-100 by the largest; reversed, fewer is better.</summary>
    public static long Normalize(long raw, long max, bool reverse)
    {
        if (max == 0) return reverse ? MaxNodeScore : 0;
        var score = MaxNodeScore * raw / max;
        return reverse ? MaxNodeScore - score : score;
    }
}
