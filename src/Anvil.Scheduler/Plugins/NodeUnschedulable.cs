using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Plugins;

/// <summary>Cordoned nodes (spec.unschedulable) take only pods tolerating node.kubernetes.io/unschedulable:NoSchedule.</summary>
internal static class NodeUnschedulable
{
    public const string ErrReasonUnschedulable = "node(s) were unschedulable";
    private static readonly Taint UnschedulableTaint = new(Taint.Unschedulable, "", "NoSchedule");

    public static FilterStatus? Filter(PodInfo pod, NodeInfo node) =>
        node.Unschedulable && !Toleration.AnyTolerates(pod.Tolerations, UnschedulableTaint)
            ? FilterStatus.Unresolvable(ErrReasonUnschedulable)
            : null;
}
