using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Validation;

namespace Anvil.Scheduler.Framework;

/// <summary>
/// A node as the scheduler sees it: the parts of the Node object the filters read, and the pods placed
/// on it (bound or assumed) with their requests added up incrementally.
/// </summary>
internal sealed class NodeInfo(string name)
{
    public string Name { get; } = name;
    /// <summary>False while only pods name this node (its Node object not seen yet, or deleted).</summary>
    public bool HasNode { get; private set; }
    public IReadOnlyDictionary<string, string> Labels { get; private set; } = new Dictionary<string, string>();
    public Resources Allocatable { get; private set; }
    public long AllowedPods { get; private set; }
    public bool Unschedulable { get; private set; }
    /// <summary>spec.taints with NoSchedule/NoExecute effect, plus the not-ready/unreachable taint a node without Ready=True carries.</summary>
    public IReadOnlyList<Taint> Taints { get; private set; } = [];
    /// <summary>spec.taints with PreferNoSchedule effect (scoring only).</summary>
    public IReadOnlyList<Taint> PreferNoScheduleTaints { get; private set; } = [];

    public Resources Requested { get; private set; }
    public Resources NonZeroRequested { get; private set; }
    public Dictionary<string, PodInfo> Pods { get; } = new();
    private readonly Dictionary<string, int> _owners = new();

    public int PodCount => Pods.Count;

    public int OwnerCount(string? uid) => uid != null && _owners.TryGetValue(uid, out var n) ? n : 0;

    /// <summary>Reads the node; returns whether anything the filters look at changed.</summary>
    public bool SetNode(JsonObject node)
    {
        var spec = node["spec"] as JsonObject;
        var status = node["status"] as JsonObject;
        var labels = PodInfo.StringMap(ObjectMeta.Labels(node));
        var allocatable = Resources.FromList(status?["allocatable"], out _, out _);
        var pods = Resources.Count(status?["allocatable"]?["pods"]);
        var unschedulable = JsonRead.Bool(spec?["unschedulable"]) == true;
        var taints = new List<Taint>();
        var preferNoSchedule = new List<Taint>();
        foreach (var t in (spec?["taints"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var effect = JsonRead.Str(t["effect"]) ?? "";
            var taint = new Taint(JsonRead.Str(t["key"]) ?? "", JsonRead.Str(t["value"]) ?? "", effect);
            if (effect is "NoSchedule" or "NoExecute") taints.Add(taint);
            else if (effect == "PreferNoSchedule") preferNoSchedule.Add(taint);
        }
        // What the node lifecycle controller would taint: Ready=False → not-ready, Unknown → unreachable.
        var ready = (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => JsonRead.Str(c["type"]) == "Ready");
        var readyStatus = JsonRead.Str(ready?["status"]);
        if (readyStatus != "True")
        {
            var key = readyStatus == "Unknown" ? Taint.Unreachable : Taint.NotReady;
            if (!taints.Any(t => t.Key == key && t.Effect == "NoSchedule")) taints.Add(new Taint(key, "", "NoSchedule"));
        }
        var changed = !HasNode || unschedulable != Unschedulable || allocatable != Allocatable || pods != AllowedPods
            || !taints.SequenceEqual(Taints) || !preferNoSchedule.SequenceEqual(PreferNoScheduleTaints) || !SameLabels(labels, Labels);
        HasNode = true;
        Labels = labels;
        Allocatable = allocatable;
        AllowedPods = pods;
        Unschedulable = unschedulable;
        Taints = taints;
        PreferNoScheduleTaints = preferNoSchedule;
        return changed;
    }

    public void ClearNode() => HasNode = false;

    public void AddPod(PodInfo pod)
    {
        if (!Pods.TryAdd(pod.Uid, pod)) return;
        Requested += pod.Requests;
        NonZeroRequested += pod.NonZeroRequests;
        if (pod.ControllerUid != null) _owners[pod.ControllerUid] = OwnerCount(pod.ControllerUid) + 1;
    }

    public void RemovePod(string uid)
    {
        if (!Pods.Remove(uid, out var pod)) return;
        Requested -= pod.Requests;
        NonZeroRequested -= pod.NonZeroRequests;
        if (pod.ControllerUid != null && _owners.TryGetValue(pod.ControllerUid, out var n))
        {
            if (n <= 1) _owners.Remove(pod.ControllerUid);
            else _owners[pod.ControllerUid] = n - 1;
        }
    }

    private static bool SameLabels(IReadOnlyDictionary<string, string> a, IReadOnlyDictionary<string, string> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var v) && v == kv.Value);
}
