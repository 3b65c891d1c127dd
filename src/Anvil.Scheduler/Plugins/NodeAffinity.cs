using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Plugins;

/// <summary>spec.nodeSelector (all labels equal) and required node affinity (any term matches).</summary>
internal static class NodeAffinity
{
    public const string ErrReasonPod = "node(s) didn't match Pod's node affinity/selector";

    public static FilterStatus? Filter(PodInfo pod, NodeInfo node) =>
        Matches(pod, node) ? null : FilterStatus.Unresolvable(ErrReasonPod);

    public static bool Matches(PodInfo pod, NodeInfo node)
    {
        foreach (var (key, value) in pod.NodeSelector)
            if (!node.Labels.TryGetValue(key, out var v) || v != value) return false;
        if (pod.RequiredAffinity is { } terms)
        {
            foreach (var term in terms)
                if (term.Matches(node.Name, node.Labels)) return true;
            return false;
        }
        return true;
    }
}
