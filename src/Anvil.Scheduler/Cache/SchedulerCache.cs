using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Scheduler.Framework;

namespace Anvil.Scheduler.Cache;

/// <summary>
/// Nodes and the pods placed on them, kept incrementally from informer events (internal/cache): a pod the
/// scheduler has chosen a node for is <em>assumed</em> there at once, before its binding is written and
/// long before the informer reports it, so the next cycle already counts its requests. The informer's
/// report of the bound pod confirms the assumption; a failed binding forgets it.
/// Every member must be called with <see cref="Gate"/> held.
/// </summary>
internal sealed class SchedulerCache
{
    private sealed record PodState(PodInfo Pod, string Node, bool Assumed);

    private readonly Dictionary<string, NodeInfo> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PodState> _pods = new(StringComparer.Ordinal);
    private List<NodeInfo>? _nodeList;

    public object Gate { get; } = new();

    /// <summary>Schedulable candidates: nodes whose Node object is known, in a stable order.</summary>
    public IReadOnlyList<NodeInfo> Nodes => _nodeList ??= _nodes.Values.Where(n => n.HasNode).OrderBy(n => n.Name, StringComparer.Ordinal).ToList();

    public int AssumedCount => _pods.Values.Count(p => p.Assumed);

    public NodeInfo? Node(string name) => _nodes.TryGetValue(name, out var n) ? n : null;

    /// <summary>Adds or updates a node; returns whether anything filters read changed.</summary>
    public bool SetNode(JsonObject node)
    {
        var name = ObjectMeta.Name(node);
        var info = GetOrAddNode(name);
        var wasKnown = info.HasNode;
        var changed = info.SetNode(node);
        if (!wasKnown) _nodeList = null;
        return changed;
    }

    public void RemoveNode(string name)
    {
        if (!_nodes.TryGetValue(name, out var info)) return;
        info.ClearNode();
        if (info.PodCount == 0) _nodes.Remove(name);
        _nodeList = null;
    }

    /// <summary>Places a pod on a node before its binding is confirmed.</summary>
    public void Assume(PodInfo pod, string node)
    {
        Remove(pod.Uid);
        _pods[pod.Uid] = new PodState(pod, node, Assumed: true);
        GetOrAddNode(node).AddPod(pod);
    }

    /// <summary>Undoes an assumption after a failed binding.</summary>
    public void Forget(string uid)
    {
        if (_pods.TryGetValue(uid, out var state) && state.Assumed) Remove(uid);
    }

    public bool IsAssumed(string uid) => _pods.TryGetValue(uid, out var s) && s.Assumed;

    /// <summary>A bound pod as the informer reports it (added or updated): confirms an assumption or (re)places it.</summary>
    public void AddOrUpdateBoundPod(PodInfo pod)
    {
        if (_pods.TryGetValue(pod.Uid, out var state) && state.Node == pod.NodeName && state.Pod.Requests == pod.Requests
            && state.Pod.NonZeroRequests == pod.NonZeroRequests && SameLabels(state.Pod, pod))
        {
            if (state.Assumed) _pods[pod.Uid] = state with { Assumed = false };
            return;
        }
        Remove(pod.Uid);
        _pods[pod.Uid] = new PodState(pod, pod.NodeName, Assumed: false);
        GetOrAddNode(pod.NodeName).AddPod(pod);
    }

    public void RemovePod(string uid) => Remove(uid);

    private void Remove(string uid)
    {
        if (!_pods.Remove(uid, out var state)) return;
        if (!_nodes.TryGetValue(state.Node, out var node)) return;
        node.RemovePod(uid);
        if (!node.HasNode && node.PodCount == 0) _nodes.Remove(state.Node);
    }

    private NodeInfo GetOrAddNode(string name)
    {
        if (!_nodes.TryGetValue(name, out var info))
        {
            info = new NodeInfo(name);
            _nodes[name] = info;
        }
        return info;
    }

    private static bool SameLabels(PodInfo a, PodInfo b) =>
        a.Labels.Count == b.Labels.Count && a.Labels.All(kv => b.Labels.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
