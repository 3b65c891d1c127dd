using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.Job;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Controllers.PodGC;

/// <summary>
/// Deletes pods nobody else will (pkg/controller/podgc), every 20 s: terminated pods beyond
/// --terminated-pod-gc-threshold (12500, oldest and evicted first), pods bound to nodes that stay missing
/// for 40 s (marked Failed with a DisruptionTarget condition first), terminating pods on NotReady nodes
/// tainted out-of-service, and terminating pods that were never scheduled. Deletion is forced (grace 0).
/// </summary>
public sealed class PodGCController : Controller
{
    public const string OutOfServiceTaint = "node.kubernetes.io/out-of-service";
    public static readonly ResourceRef Nodes = new("", "v1", "nodes", false);
    private const string Key = "podgc";

    private readonly KubeClient _client;
    private readonly TimeProvider _time;
    private readonly Informer _pods;
    private readonly Informer _nodes;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _missingSince = new();
    private CancellationToken _running;

    public override string Name => "pod-garbage-collector";

    /// <summary>Terminated pods kept before the oldest are deleted; 0 or less turns this part off.</summary>
    public int TerminatedPodThreshold { get; init; } = 12500;
    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>How long a node must stay missing before its pods count as orphaned.</summary>
    public TimeSpan Quarantine { get; init; } = TimeSpan.FromSeconds(40);

    public PodGCController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        _pods = informers.For(JobController.Pods);
        _nodes = informers.For(Nodes);
        Queue.Add(Key);
    }

    protected override IEnumerable<Informer> Informers => [_pods, _nodes];

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        _running = ct;
        try
        {
            await GcAsync(ct).ConfigureAwait(false);
        }
        finally
        {
            _ = Task.Delay(Period, _time, _running).ContinueWith(t => { if (!t.IsCanceled) Queue.Add(Key); }, TaskScheduler.Default);
        }
    }

    /// <summary>One pass over the cached pods and nodes.</summary>
    internal async Task GcAsync(CancellationToken ct)
    {
        var pods = _pods.List().ToList();
        var nodes = _nodes.List().ToDictionary(ObjectMeta.Name);
        if (TerminatedPodThreshold > 0) await GcTerminatedAsync(pods, ct).ConfigureAwait(false);
        await GcTerminatingAsync(pods, nodes, ct).ConfigureAwait(false);
        await GcOrphanedAsync(pods, nodes, ct).ConfigureAwait(false);
        await GcUnscheduledTerminatingAsync(pods, ct).ConfigureAwait(false);
    }

    private static string NodeName(JsonObject pod) => Str(pod["spec"]?["nodeName"]) ?? "";

    /// <summary>isPodTerminated: any phase but Pending, Running and Unknown.</summary>
    private static bool IsTerminated(JsonObject pod) => PodFacts.Phase(pod) is not ("Pending" or "Running" or "Unknown");

    private static bool IsEvicted(JsonObject pod) => PodFacts.Phase(pod) == "Failed" && Str(pod["status"]?["reason"]) == "Evicted";

    private async Task GcTerminatedAsync(List<JsonObject> pods, CancellationToken ct)
    {
        var terminated = pods.Where(IsTerminated).ToList();
        var deleteCount = terminated.Count - TerminatedPodThreshold;
        if (deleteCount <= 0) return;
        Log.LogInformation("controller=pod-garbage-collector garbage collecting pods num_pods={Count}", deleteCount);
        var victims = terminated
            .OrderBy(p => IsEvicted(p) ? 0 : 1)
            .ThenBy(PodFacts.CreationTime)
            .ThenBy(ObjectMeta.Name, StringComparer.Ordinal)
            .Take(deleteCount);
        foreach (var pod in victims) await MarkFailedAndDeleteAsync(pod, null, ct).ConfigureAwait(false);
    }

    private async Task GcTerminatingAsync(List<JsonObject> pods, Dictionary<string, JsonObject> nodes, CancellationToken ct)
    {
        foreach (var pod in pods)
        {
            if (!ObjectMeta.IsDeleting(pod) || !nodes.TryGetValue(NodeName(pod), out var node)) continue;
            if (IsNodeReady(node) || !HasTaint(node, OutOfServiceTaint)) continue;
            await MarkFailedAndDeleteAsync(pod, null, ct).ConfigureAwait(false);
        }
    }

    private async Task GcOrphanedAsync(List<JsonObject> pods, Dictionary<string, JsonObject> nodes, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        foreach (var name in _missingSince.Keys.Where(nodes.ContainsKey).ToList()) _missingSince.TryRemove(name, out _);
        foreach (var pod in pods)
        {
            var node = NodeName(pod);
            if (node.Length > 0 && !nodes.ContainsKey(node)) _missingSince.TryAdd(node, now);
        }
        var deleted = new HashSet<string>();
        foreach (var (node, since) in _missingSince)
        {
            if (now - since < Quarantine) continue;
            // The cache may lag: only a 404 from the API proves the node is gone.
            try
            {
                await _client.GetAsync(Nodes, "", node, ct).ConfigureAwait(false);
                _missingSince.TryRemove(node, out _);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                deleted.Add(node);
            }
        }
        foreach (var pod in pods)
        {
            if (!deleted.Contains(NodeName(pod))) continue;
            Log.LogInformation("controller=pod-garbage-collector orphaned pod={Namespace}/{Name} node={Node}", ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), NodeName(pod));
            var condition = new JsonObject
            {
                ["type"] = "DisruptionTarget",
                ["status"] = "True",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = ObjectMeta.FormatTime(now),
                ["reason"] = "DeletionByPodGC",
                ["message"] = "PodGC: node no longer exists",
            };
            await MarkFailedAndDeleteAsync(pod, condition, ct).ConfigureAwait(false);
        }
        foreach (var node in deleted) _missingSince.TryRemove(node, out _);
    }

    private async Task GcUnscheduledTerminatingAsync(List<JsonObject> pods, CancellationToken ct)
    {
        foreach (var pod in pods)
            if (ObjectMeta.IsDeleting(pod) && NodeName(pod).Length == 0)
                await MarkFailedAndDeleteAsync(pod, null, ct).ConfigureAwait(false);
    }

    private static bool IsNodeReady(JsonObject node) =>
        (node["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Any(c => Str(c["type"]) == "Ready" && Str(c["status"]) == "True");

    private static bool HasTaint(JsonObject node, string key) =>
        (node["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>().Any(t => Str(t["key"]) == key);

    /// <summary>
    /// Moves a pod that is not finished to Failed (no kubelet will), with the condition if given, then
    /// force-deletes it.
    /// </summary>
    private async Task MarkFailedAndDeleteAsync(JsonObject pod, JsonObject? condition, CancellationToken ct)
    {
        var ns = ObjectMeta.Namespace(pod);
        var name = ObjectMeta.Name(pod);
        try
        {
            if (!PodFacts.IsFinished(pod))
            {
                var status = new JsonObject { ["phase"] = "Failed" };
                if (condition != null) status["conditions"] = new JsonArray(condition);
                var patch = new JsonObject { ["metadata"] = new JsonObject { ["uid"] = ObjectMeta.Uid(pod) }, ["status"] = status };
                await _client.PatchAsync(JobController.Pods, ns, name, patch, "application/strategic-merge-patch+json", "status", ct).ConfigureAwait(false);
            }
            var options = new JsonObject { ["kind"] = "DeleteOptions", ["apiVersion"] = "v1", ["gracePeriodSeconds"] = 0 };
            await _client.SendAsync(HttpMethod.Delete, JobController.Pods.Path(ns, name), options, "application/json", ct).ConfigureAwait(false);
            Log.LogInformation("controller=pod-garbage-collector force deleted pod={Namespace}/{Name}", ns, name);
        }
        catch (ApiException e) when (e.IsNotFound || e.Code == 409)
        {
        }
    }
}
