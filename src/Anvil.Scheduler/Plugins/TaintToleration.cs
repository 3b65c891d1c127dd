using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Plugins;

/// <summary>The first NoSchedule/NoExecute taint the pod does not tolerate rejects the node.</summary>
internal static class TaintToleration
{
    public static FilterStatus? Filter(PodInfo pod, NodeInfo node)
    {
        foreach (var taint in node.Taints)
            if (!Toleration.AnyTolerates(pod.Tolerations, taint))
                return FilterStatus.Unresolvable($"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}");
        return null;
    }
}
