using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Plugins;

/// <summary>
/// The pod's requests must fit in allocatable minus what pods on the node (bound or assumed) request;
/// the pod count must stay within allocatable pods. All shortfalls are reported, pods first.
/// </summary>
internal static class NodeResourcesFit
{
    public const string TooManyPods = "Too many pods";

    public static FilterStatus? Filter(PodInfo pod, NodeInfo node)
    {
        List<string>? reasons = null;
        if (node.PodCount + 1 > node.AllowedPods) (reasons ??= []).Add(TooManyPods);
        var r = pod.Requests;
        if (r.MilliCpu > 0 && r.MilliCpu > node.Allocatable.MilliCpu - node.Requested.MilliCpu) (reasons ??= []).Add("Insufficient cpu");
        if (r.Memory > 0 && r.Memory > node.Allocatable.Memory - node.Requested.Memory) (reasons ??= []).Add("Insufficient memory");
        return reasons == null ? null : new FilterStatus(FilterCode.Unschedulable, reasons);
    }
}
