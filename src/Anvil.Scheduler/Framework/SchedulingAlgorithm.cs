using Anvil.Scheduler.Plugins;

namespace Anvil.Scheduler.Framework;

/// <summary>
/// One scheduling cycle (schedule_one.go schedulePod): filters nodes round-robin from where the last cycle
/// stopped until enough feasible ones are found (percentageOfNodesToScore, adaptive as upstream), scores
/// them and picks the best, breaking ties at random. Not thread-safe: the caller holds the cache lock.
/// </summary>
internal sealed class SchedulingAlgorithm(Random random)
{
    private const int MinFeasibleNodesToFind = 100;
    private const int MinFeasibleNodesPercentageToFind = 5;
    private int _nextStartNodeIndex;

    /// <summary>0 = adaptive (50% minus 1% per 125 nodes, at least 5%), as the default configuration.</summary>
    public int PercentageOfNodesToScore { get; init; }

    public ScheduleResult Schedule(PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var n = nodes.Count;
        if (n == 0) return new ScheduleResult(null, FitError.NoNodesAvailable, "SchedulerError", 0, 0);
        var spread = PodTopologySpread.PreFilter(pod, nodes);
        var toFind = NumFeasibleNodesToFind(n);
        var feasible = new List<NodeInfo>(Math.Min(toFind, n));
        var diagnosis = new Diagnosis();
        var processed = 0;
        var start = _nextStartNodeIndex % n;
        for (var i = 0; i < n; i++)
        {
            var node = nodes[(start + i) % n];
            processed++;
            var status = RunFilters(pod, node, spread);
            if (status != null)
            {
                diagnosis.Add(status);
                continue;
            }
            feasible.Add(node);
            if (feasible.Count >= toFind) break;
        }
        _nextStartNodeIndex = (start + processed) % n;
        if (feasible.Count == 0)
            return new ScheduleResult(null, FitError.Message(pod, n, diagnosis), "Unschedulable", processed, 0);
        return new ScheduleResult(feasible.Count == 1 ? feasible[0] : SelectHost(pod, feasible), null, "", processed, feasible.Count);
    }

    /// <summary>The default filter plugins in upstream's order; the first failure decides.</summary>
    internal static FilterStatus? RunFilters(PodInfo pod, NodeInfo node, PodTopologySpread.State? spread) =>
        NodeUnschedulable.Filter(pod, node)
        ?? NodeName.Filter(pod, node)
        ?? TaintToleration.Filter(pod, node)
        ?? NodeAffinity.Filter(pod, node)
        ?? NodeResourcesFit.Filter(pod, node)
        ?? PodTopologySpread.Filter(pod, node, spread);

    private NodeInfo SelectHost(PodInfo pod, List<NodeInfo> feasible)
    {
        // Raw scores that normalize against the best candidate are computed first, only when they can differ.
        long maxOwned = 0, maxAffinity = 0, maxTaints = 0;
        var affinity = pod.PreferredAffinity.Count > 0 ? new long[feasible.Count] : null;
        long[]? taints = null;
        for (var i = 0; i < feasible.Count; i++)
        {
            var node = feasible[i];
            if (pod.ControllerUid != null) maxOwned = Math.Max(maxOwned, node.OwnerCount(pod.ControllerUid));
            if (affinity != null) maxAffinity = Math.Max(maxAffinity, affinity[i] = Scoring.PreferredAffinity(pod, node));
            if (node.PreferNoScheduleTaints.Count > 0)
            {
                taints ??= new long[feasible.Count];
                maxTaints = Math.Max(maxTaints, taints[i] = Scoring.IntolerablePreferNoSchedule(pod, node));
            }
        }
        NodeInfo? best = null;
        long bestScore = -1;
        var ties = 0;
        for (var i = 0; i < feasible.Count; i++)
        {
            var node = feasible[i];
            var score = Scoring.LeastAllocated(pod, node) * Scoring.LeastAllocatedWeight
                + Scoring.BalancedAllocation(pod, node) * Scoring.BalancedAllocationWeight
                + (pod.ControllerUid != null ? Scoring.Spread(node.OwnerCount(pod.ControllerUid), (int)maxOwned) * Scoring.SpreadWeight : 0)
                + (affinity != null ? Scoring.Normalize(affinity[i], maxAffinity, reverse: false) * Scoring.NodeAffinityWeight : 0)
                + Scoring.Normalize(taints?[i] ?? 0, maxTaints, reverse: true) * Scoring.TaintTolerationWeight;
            if (score > bestScore)
            {
                best = node;
                bestScore = score;
                ties = 1;
            }
            else if (score == bestScore && random.Next(++ties) == 0)
            {
                best = node; // reservoir sampling: each of the tied nodes is equally likely
            }
        }
        return best!;
    }

    internal int NumFeasibleNodesToFind(int allNodes)
    {
        if (allNodes < MinFeasibleNodesToFind) return allNodes;
        var percentage = PercentageOfNodesToScore;
        if (percentage <= 0)
        {
            percentage = 50 - allNodes / 125;
            if (percentage < MinFeasibleNodesPercentageToFind) percentage = MinFeasibleNodesPercentageToFind;
        }
        if (percentage >= 100) return allNodes;
        var count = (int)((long)allNodes * percentage / 100);
        return count < MinFeasibleNodesToFind ? MinFeasibleNodesToFind : count;
    }
}
