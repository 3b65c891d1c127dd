using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Plugins;

/// <summary>A pod naming a node in spec.nodeName fits only that node.</summary>
internal static class NodeName
{
    public const string ErrReason = "node(s) didn't match the requested node name";

    public static FilterStatus? Filter(PodInfo pod, NodeInfo node) =>
        pod.NodeName.Length > 0 && pod.NodeName != node.Name ? FilterStatus.Unresolvable(ErrReason) : null;
}
