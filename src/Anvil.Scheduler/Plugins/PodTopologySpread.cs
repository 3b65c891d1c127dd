using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Plugins;

/// <summary>
/// Hard topology spread (whenUnsatisfiable: DoNotSchedule): placing the pod in a domain must not make that
/// domain's count of matching pods exceed the smallest domain's by more than maxSkew. Domains are the
/// values of topologyKey on nodes that pass the pod's node selector/affinity (nodeAffinityPolicy Honor).
/// </summary>
internal static class PodTopologySpread
{
    public const string ErrReasonConstraintsNotMatch = "node(s) didn't match pod topology spread constraints";
    public const string ErrReasonNodeLabelNotMatch = ErrReasonConstraintsNotMatch + " (missing required label)";

    /// <summary>Per hard constraint: matching pods per domain and the smallest count.</summary>
    internal sealed record State(IReadOnlyList<TopologySpreadConstraint> Constraints, Dictionary<string, int>[] Counts, int[] Min);

    public static State? PreFilter(PodInfo pod, IReadOnlyList<NodeInfo> nodes)
    {
        var constraints = pod.SpreadConstraints.Where(c => c.DoNotSchedule).ToList();
        if (constraints.Count == 0) return null;
        var counts = constraints.Select(_ => new Dictionary<string, int>()).ToArray();
        foreach (var node in nodes)
        {
            if (!NodeAffinity.Matches(pod, node)) continue;
            if (!constraints.All(c => node.Labels.ContainsKey(c.TopologyKey))) continue;
            for (var i = 0; i < constraints.Count; i++)
            {
                var c = constraints[i];
                var domain = node.Labels[c.TopologyKey];
                var n = 0;
                foreach (var p in node.Pods.Values)
                    if (p.Namespace == pod.Namespace && c.Selector.Matches(p.Labels)) n++;
                counts[i][domain] = counts[i].TryGetValue(domain, out var existing) ? existing + n : n;
            }
        }
        var min = counts.Select(d => d.Count == 0 ? 0 : d.Values.Min()).ToArray();
        return new State(constraints, counts, min);
    }

    public static FilterStatus? Filter(PodInfo pod, NodeInfo node, State? state)
    {
        if (state == null) return null;
        for (var i = 0; i < state.Constraints.Count; i++)
        {
            var c = state.Constraints[i];
            if (!node.Labels.TryGetValue(c.TopologyKey, out var domain)) return FilterStatus.Unresolvable(ErrReasonNodeLabelNotMatch);
            var self = c.Selector.Matches(pod.Labels) ? 1 : 0;
            var matching = state.Counts[i].TryGetValue(domain, out var n) ? n : 0;
            if (matching + self - state.Min[i] > c.MaxSkew) return FilterStatus.Unschedulable(ErrReasonConstraintsNotMatch);
        }
        return null;
    }
}
