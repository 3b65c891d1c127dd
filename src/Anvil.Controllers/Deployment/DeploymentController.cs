using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Microsoft.Extensions.Logging;
using static Anvil.Controllers.Deployment.DeploymentUtil;

namespace Anvil.Controllers.Deployment;

/// <summary>
/// Rolls Deployments out through ReplicaSets (pkg/controller/deployment): one ReplicaSet per pod template,
/// named after the template's hash; RollingUpdate moves replicas from old to new within maxSurge and
/// maxUnavailable, Recreate scales old to zero before the new one starts. Also proportional scaling while a
/// rollout is under way, pause, revision bookkeeping (which <c>kubectl rollout undo</c> relies on), old
/// ReplicaSet cleanup beyond revisionHistoryLimit, and the status <c>kubectl rollout status</c> reads.
/// </summary>
public sealed partial class DeploymentController : Controller
{
    public const string Component = "deployment-controller";

    private readonly KubeClient _client;
    private readonly Informer _deployments;
    private readonly Informer _replicaSets;
    private readonly Informer _pods;
    private readonly TimeProvider _time;

    public override string Name => "deployment";
    public EventRecorder Recorder { get; }

    public DeploymentController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        Recorder = new EventRecorder(client, Component, log, _time);
        _deployments = informers.For(Workloads.Deployments);
        _replicaSets = informers.For(Workloads.ReplicaSets);
        _pods = informers.For(Workloads.Pods);
        _deployments.Added += d => Queue.Add(Informer.KeyOf(d));
        _deployments.Updated += (_, d) => Queue.Add(Informer.KeyOf(d));
        _deployments.Deleted += d => Queue.Add(Informer.KeyOf(d));
        _replicaSets.Added += AddReplicaSet;
        _replicaSets.Updated += UpdateReplicaSet;
        _replicaSets.Deleted += rs => EnqueueOwner(rs);
        _pods.Deleted += DeletePod;
    }

    protected override IEnumerable<Informer> Informers => [_deployments, _replicaSets, _pods];

    private JsonObject? Resolve(string ns, JsonObject? reference)
    {
        if (reference == null || (string?)reference["kind"] != "Deployment") return null;
        var d = _deployments.Get($"{ns}/{(string?)reference["name"]}");
        return d != null && ObjectMeta.Uid(d) == ControllerRef.Uid(reference) ? d : null;
    }

    private void EnqueueOwner(JsonObject rs)
    {
        if (Resolve(ObjectMeta.Namespace(rs), ControllerRef.Of(rs)) is { } d) Queue.Add(Informer.KeyOf(d));
    }

    private IEnumerable<JsonObject> SelectingDeployments(JsonObject rs)
    {
        var ns = ObjectMeta.Namespace(rs);
        foreach (var d in _deployments.List())
        {
            if (ObjectMeta.Namespace(d) != ns) continue;
            LabelSelector selector;
            try { selector = LabelSelector.FromLabelSelectorJson(d["spec"]?["selector"] as JsonObject); }
            catch (Exception) { continue; }
            if (!selector.IsEmpty && selector.Matches(ObjectMeta.Labels(rs))) yield return d;
        }
    }

    private void AddReplicaSet(JsonObject rs)
    {
        if (ControllerRef.Of(rs) != null)
        {
            EnqueueOwner(rs);
            return;
        }
        foreach (var d in SelectingDeployments(rs)) Queue.Add(Informer.KeyOf(d));
    }

    private void UpdateReplicaSet(JsonObject old, JsonObject cur)
    {
        var curRef = ControllerRef.Of(cur);
        var oldRef = ControllerRef.Of(old);
        if (!JsonNode.DeepEquals(curRef, oldRef) && Resolve(ObjectMeta.Namespace(old), oldRef) is { } oldOwner) Queue.Add(Informer.KeyOf(oldOwner));
        if (curRef != null)
        {
            EnqueueOwner(cur);
            return;
        }
        if (!JsonNode.DeepEquals(ObjectMeta.Labels(old), ObjectMeta.Labels(cur)) || !JsonNode.DeepEquals(curRef, oldRef))
            foreach (var d in SelectingDeployments(cur)) Queue.Add(Informer.KeyOf(d));
    }

    /// <summary>Recreate waits for old pods to be gone; their deletion is what lets it continue.</summary>
    private void DeletePod(JsonObject pod)
    {
        var ns = ObjectMeta.Namespace(pod);
        var rsRef = ControllerRef.Of(pod);
        if (rsRef == null || (string?)rsRef["kind"] != "ReplicaSet") return;
        var rs = _replicaSets.Get($"{ns}/{(string?)rsRef["name"]}");
        if (rs == null || ObjectMeta.Uid(rs) != ControllerRef.Uid(rsRef)) return;
        if (Resolve(ns, ControllerRef.Of(rs)) is { } d && !IsRollingUpdate(d)) Queue.Add(Informer.KeyOf(d));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var cached = _deployments.Get(key);
        if (cached == null) return;
        var d = (JsonObject)cached.DeepClone();
        var ctx = new SyncContext(key, d, ct);
        LabelSelector selector;
        try
        {
            selector = LabelSelector.FromLabelSelectorJson(d["spec"]?["selector"] as JsonObject);
        }
        catch (Exception e)
        {
            Log.LogWarning("controller=deployment key={Key} invalid selector: {Error}", key, e.Message);
            return;
        }
        if (selector.IsEmpty)
        {
            Recorder.Event(d, EventRecorder.Warning, "SelectingAll", "This deployment is selecting all pods. A non-empty selector is required.");
            if (((long?)d["status"]?["observedGeneration"] ?? 0) < Generation(d))
            {
                var status = d["status"] as JsonObject ?? new JsonObject();
                status["observedGeneration"] = Generation(d);
                d["status"] = status;
                await UpdateStatusAsync(ctx, ct).ConfigureAwait(false);
            }
            return;
        }

        var rsList = await ReplicaSetsForDeploymentAsync(d, selector, ct).ConfigureAwait(false);
        if (ObjectMeta.IsDeleting(d))
        {
            await SyncStatusOnlyAsync(ctx, rsList).ConfigureAwait(false);
            return;
        }
        await CheckPausedConditionsAsync(ctx).ConfigureAwait(false);
        if (IsPaused(d) || await IsScalingEventAsync(ctx, rsList).ConfigureAwait(false))
        {
            await SyncAsync(ctx, rsList).ConfigureAwait(false);
            return;
        }
        if (IsRollingUpdate(d)) await RolloutRollingAsync(ctx, rsList).ConfigureAwait(false);
        else await RolloutRecreateAsync(ctx, rsList, PodMap(d, selector, rsList)).ConfigureAwait(false);
    }

    /// <summary>One sync's deployment (updated in place as writes return) and its queue key.</summary>
    private sealed record SyncContext(string Key, JsonObject D, CancellationToken Ct);

    /// <summary>The ReplicaSets this deployment owns, adopting and releasing by its selector (cloned: safe to mutate).</summary>
    private async Task<List<JsonObject>> ReplicaSetsForDeploymentAsync(JsonObject d, LabelSelector selector, CancellationToken ct)
    {
        var ns = ObjectMeta.Namespace(d);
        var candidates = _replicaSets.List().Where(rs => ObjectMeta.Namespace(rs) == ns).Select(rs => (JsonObject)rs.DeepClone());
        var claimer = new ControllerRefManager(_client, Workloads.ReplicaSets, Workloads.Deployments, "Deployment", d, selector);
        return await claimer.ClaimAsync(candidates, ct).ConfigureAwait(false);
    }

    /// <summary>The deployment's pods grouped by the uid of their ReplicaSet.</summary>
    private Dictionary<string, List<JsonObject>> PodMap(JsonObject d, LabelSelector selector, List<JsonObject> rsList)
    {
        var ns = ObjectMeta.Namespace(d);
        var map = rsList.ToDictionary(ObjectMeta.Uid, _ => new List<JsonObject>());
        foreach (var pod in _pods.List())
        {
            if (ObjectMeta.Namespace(pod) != ns || !selector.Matches(ObjectMeta.Labels(pod))) continue;
            if (map.TryGetValue(ControllerRef.Uid(ControllerRef.Of(pod)), out var list)) list.Add(pod);
        }
        return map;
    }

    /// <summary>Replaces the content of <paramref name="target"/> with what the server returned.</summary>
    private static void Replace(JsonObject target, JsonObject source)
    {
        target.Clear();
        foreach (var (k, v) in source) target[k] = v?.DeepClone();
    }

    private async Task UpdateStatusAsync(SyncContext ctx, CancellationToken ct)
    {
        var d = ctx.D;
        var updated = await _client.UpdateAsync(Workloads.Deployments, ObjectMeta.Namespace(d), ObjectMeta.Name(d), d, "status", ct).ConfigureAwait(false);
        Replace(d, updated);
    }

    private async Task UpdateReplicaSetAsync(JsonObject rs, CancellationToken ct)
    {
        var updated = await _client.UpdateAsync(Workloads.ReplicaSets, ObjectMeta.Namespace(rs), ObjectMeta.Name(rs), rs, ct: ct).ConfigureAwait(false);
        Replace(rs, updated);
    }
}
