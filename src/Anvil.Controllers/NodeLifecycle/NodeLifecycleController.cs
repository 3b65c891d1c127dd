using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.NodeLifecycle;

/// <summary>
/// The node lifecycle controller with taint-based eviction (pkg/controller/nodelifecycle, tainteviction). Every
/// <see cref="MonitorPeriod"/> it checks each node's heartbeats — its Lease in kube-node-lease and its Ready
/// condition's lastHeartbeatTime, timed by when this controller saw them change. A node silent for longer than
/// <see cref="GracePeriod"/> gets its Ready and pressure conditions set to Unknown ("Kubelet stopped posting node
/// status.") and its pods marked not ready. Taints follow the node: unschedulable when cordoned, not-ready or
/// unreachable (NoSchedule and NoExecute) when Ready is False or Unknown, removed when it is healthy again. Pods on a
/// node with NoExecute taints they do not tolerate are deleted; those that tolerate them for tolerationSeconds are
/// deleted once that time has passed since the taint was added.
/// </summary>
public sealed class NodeLifecycleController : Controller
{
    public static readonly ResourceRef Nodes = new("", "v1", "nodes", false);
    public static readonly ResourceRef Leases = new("coordination.k8s.io", "v1", "leases", true);
    public static readonly ResourceRef Pods = new("", "v1", "pods", true);
    public const string LeaseNamespace = "kube-node-lease";
    private const string Key = "nodes";

    private static readonly string[] Conditions = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"];

    private readonly KubeClient _client;
    private readonly TimeProvider _time;
    private readonly Informer _nodes;
    private readonly Informer _leases;
    private readonly Informer _pods;
    private readonly EventRecorder _nodeEvents;
    private readonly EventRecorder _evictionEvents;
    private readonly ConcurrentDictionary<string, Health> _health = new();
    private readonly object _gate = new();
    private DateTimeOffset? _wake;
    private CancellationToken _running;

    /// <summary>The heartbeats last seen of a node and when this controller saw them change (probeTimestamp).</summary>
    private sealed record Health(DateTimeOffset ProbeTime, string Heartbeat, string Renew);

    public override string Name => "node-lifecycle-controller";

    /// <summary>--node-monitor-grace-period: how long a node may stay silent before it is Unknown.</summary>
    public TimeSpan GracePeriod { get; init; } = TimeSpan.FromSeconds(40);
    /// <summary>--node-monitor-period.</summary>
    public TimeSpan MonitorPeriod { get; init; } = TimeSpan.FromSeconds(5);

    public NodeLifecycleController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        _nodes = informers.For(Nodes);
        _leases = informers.For(Leases, LeaseNamespace);
        _pods = informers.For(Pods);
        _nodeEvents = new EventRecorder(client, "node-controller", log, _time);
        _evictionEvents = new EventRecorder(client, "taint-eviction-controller", log, _time);
        _nodes.Added += _ => Queue.Add(Key);
        _nodes.Updated += (_, _) => Queue.Add(Key);
        _nodes.Deleted += _ => Queue.Add(Key);
        _leases.Updated += (_, _) => Queue.Add(Key);
        _pods.Added += p => { if (Bound(p)) Queue.Add(Key); };
        _pods.Updated += (o, p) => { if (Bound(p) && !Bound(o)) Queue.Add(Key); };
        Queue.Add(Key);
    }

    protected override IEnumerable<Informer> Informers => [_nodes, _leases, _pods];

    private static bool Bound(JsonObject pod) => ((string?)pod["spec"]?["nodeName"] ?? "").Length > 0;

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        _running = ct;
        var next = MonitorPeriod;
        try
        {
            next = await MonitorAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            WakeAfter(next);
        }
    }

    /// <summary>One timer at a time: a later wake-up request than the pending one is dropped.</summary>
    private void WakeAfter(TimeSpan delay)
    {
        var at = _time.GetUtcNow() + delay;
        lock (_gate)
        {
            if (_wake is { } pending && pending <= at && pending > _time.GetUtcNow()) return;
            _wake = at;
        }
        _ = Task.Delay(delay, _time, _running).ContinueWith(t =>
        {
            lock (_gate) if (_wake == at) _wake = null;
            if (!t.IsCanceled) Queue.Add(Key);
        }, TaskScheduler.Default);
    }

    /// <summary>One pass over every node and its pods; returns when to look again.</summary>
    internal async Task<TimeSpan> MonitorAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        var next = MonitorPeriod;
        var nodes = _nodes.List().ToDictionary(ObjectMeta.Name);
        foreach (var gone in _health.Keys.Where(n => !nodes.ContainsKey(n)).ToList()) _health.TryRemove(gone, out _);
        var podsByNode = _pods.List().Where(Bound).ToLookup(p => (string)p["spec"]!["nodeName"]!);
        foreach (var (name, cached) in nodes)
        {
            var node = cached;
            try
            {
                node = await UpdateHealthAsync(node, podsByNode[name], now, ct).ConfigureAwait(false);
                node = await UpdateTaintsAsync(node, now, ct).ConfigureAwait(false);
                if (await EvictAsync(node, podsByNode[name], now, ct).ConfigureAwait(false) is { } due && due < next) next = due;
            }
            catch (ApiException e) when (e.IsNotFound || e.IsConflict)
            {
                // Changed or gone meanwhile: the informer brings the new state and another pass.
                next = TimeSpan.FromSeconds(1);
            }
        }
        return next;
    }

    /// <summary>tryUpdateNodeHealth: Ready and the pressure conditions go Unknown once the grace period has passed in silence.</summary>
    private async Task<JsonObject> UpdateHealthAsync(JsonObject node, IEnumerable<JsonObject> pods, DateTimeOffset now, CancellationToken ct)
    {
        var name = ObjectMeta.Name(node);
        var conditions = (node["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var heartbeat = (string?)conditions.FirstOrDefault(c => (string?)c["type"] == "Ready")?["lastHeartbeatTime"] ?? "";
        var renew = (string?)_leases.Get($"{LeaseNamespace}/{name}")?["spec"]?["renewTime"] ?? "";
        var health = _health.AddOrUpdate(name, _ => new Health(now, heartbeat, renew),
            (_, h) => h.Heartbeat != heartbeat || h.Renew != renew ? new Health(now, heartbeat, renew) : h);
        if (now - health.ProbeTime <= GracePeriod) return node;

        var stamp = ObjectMeta.FormatTime(now);
        var wasReady = NodeTaints.ConditionStatus(node, "Ready") == "True";
        var updated = new JsonArray();
        var changed = false;
        foreach (var c in conditions.Where(c => !Conditions.Contains((string?)c["type"]))) updated.Add(c.DeepClone());
        foreach (var type in Conditions)
        {
            var c = conditions.FirstOrDefault(x => (string?)x["type"] == type);
            if (c == null)
            {
                updated.Add(new JsonObject
                {
                    ["type"] = type,
                    ["status"] = "Unknown",
                    ["lastHeartbeatTime"] = node["metadata"]?["creationTimestamp"]?.DeepClone(),
                    ["lastTransitionTime"] = stamp,
                    ["reason"] = "NodeStatusNeverUpdated",
                    ["message"] = "Kubelet never posted node status.",
                });
                changed = true;
            }
            else if ((string?)c["status"] != "Unknown")
            {
                var u = (JsonObject)c.DeepClone();
                u["status"] = "Unknown";
                u["reason"] = "NodeStatusUnknown";
                u["message"] = "Kubelet stopped posting node status.";
                u["lastTransitionTime"] = stamp;
                updated.Add(u);
                changed = true;
            }
            else
            {
                updated.Add(c.DeepClone());
            }
        }
        if (!changed) return node;
        Log.LogInformation("controller={Controller} node={Node} status unknown: no heartbeat for {Seconds}s", Name, name, (int)(now - health.ProbeTime).TotalSeconds);
        var result = await _client.PatchAsync(Nodes, "", name, new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = ObjectMeta.ResourceVersion(node) },
            ["status"] = new JsonObject { ["conditions"] = updated },
        }, subresource: "status", ct: ct).ConfigureAwait(false);
        if (wasReady)
        {
            _nodeEvents.Event(EventRecorder.WithKind(node, "v1", "Node"), EventRecorder.Normal, "NodeNotReady", $"Node {name} status is now: NodeNotReady");
            await MarkPodsNotReadyAsync(pods, now, ct).ConfigureAwait(false);
        }
        return result;
    }

    /// <summary>MarkPodsNotReady: the Ready condition of the node's pods turns False (they may no longer serve).</summary>
    private async Task MarkPodsNotReadyAsync(IEnumerable<JsonObject> pods, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var pod in pods)
        {
            if ((string?)pod["status"]?["phase"] is "Succeeded" or "Failed") continue;
            var conditions = (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            var ready = conditions.FirstOrDefault(c => (string?)c["type"] == "Ready");
            if (ready == null || (string?)ready["status"] == "False") continue;
            var list = new JsonArray();
            foreach (var c in conditions)
            {
                var copy = (JsonObject)c.DeepClone();
                if (ReferenceEquals(c, ready))
                {
                    copy["status"] = "False";
                    copy["lastTransitionTime"] = ObjectMeta.FormatTime(now);
                }
                list.Add(copy);
            }
            try
            {
                await _client.PatchAsync(Pods, ObjectMeta.Namespace(pod), ObjectMeta.Name(pod),
                    new JsonObject { ["status"] = new JsonObject { ["conditions"] = list } }, subresource: "status", ct: ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
            }
        }
    }

    private async Task<JsonObject> UpdateTaintsAsync(JsonObject node, DateTimeOffset now, CancellationToken ct)
    {
        if (NodeTaints.Reconcile(node, ObjectMeta.FormatTime(now)) is not { } taints) return node;
        return await _client.PatchAsync(Nodes, "", ObjectMeta.Name(node), new JsonObject
        {
            ["metadata"] = new JsonObject { ["resourceVersion"] = ObjectMeta.ResourceVersion(node) },
            ["spec"] = new JsonObject { ["taints"] = taints },
        }, ct: ct).ConfigureAwait(false);
    }

    /// <summary>Deletes the pods whose time on this node is up; returns how long until the next one's is (null: none waits).</summary>
    private async Task<TimeSpan?> EvictAsync(JsonObject node, IEnumerable<JsonObject> pods, DateTimeOffset now, CancellationToken ct)
    {
        var noExecute = (node["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>().Where(t => (string?)t["effect"] == "NoExecute").ToList();
        if (noExecute.Count == 0) return null;
        TimeSpan? next = null;
        foreach (var pod in pods)
        {
            if (ObjectMeta.IsDeleting(pod)) continue;
            if (NodeTaints.EvictionTime(noExecute, pod["spec"]?["tolerations"] as JsonArray, now) is not { } due) continue;
            if (due > now)
            {
                if (next == null || due - now < next) next = due - now;
                continue;
            }
            await DeletePodAsync(pod, ct).ConfigureAwait(false);
        }
        return next;
    }

    private async Task DeletePodAsync(JsonObject pod, CancellationToken ct)
    {
        var ns = ObjectMeta.Namespace(pod);
        var name = ObjectMeta.Name(pod);
        Log.LogInformation("controller={Controller} evicting pod={Namespace}/{Pod}", Name, ns, name);
        _evictionEvents.Event(EventRecorder.WithKind(pod, "v1", "Pod"), EventRecorder.Normal, "TaintManagerEviction", $"Marking for deletion Pod {ns}/{name}");
        try
        {
            var conditions = (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
                .Where(c => (string?)c["type"] != "DisruptionTarget").Select(c => (JsonNode)c.DeepClone()).ToList();
            conditions.Add(new JsonObject
            {
                ["type"] = "DisruptionTarget",
                ["status"] = "True",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = ObjectMeta.FormatTime(_time.GetUtcNow()),
                ["reason"] = "DeletionByTaintManager",
                ["message"] = "Taint manager: deleting due to NoExecute taint",
            });
            await _client.PatchAsync(Pods, ns, name, new JsonObject { ["status"] = new JsonObject { ["conditions"] = new JsonArray(conditions.ToArray()) } },
                subresource: "status", ct: ct).ConfigureAwait(false);
            await _client.DeleteAsync(Pods, ns, name, preconditionUid: ObjectMeta.Uid(pod), ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound || e.IsConflict)
        {
        }
    }
}
