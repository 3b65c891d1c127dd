using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.ReplicaSet;

/// <summary>
/// Keeps spec.replicas pods running for each ReplicaSet (pkg/controller/replicaset): creates pods from the
/// template in slow-start batches, deletes the least valuable ones first, adopts matching orphans and
/// releases pods that stopped matching, and reports status. Expectations keep it from acting twice while
/// its pod cache lags behind its own writes.
/// </summary>
public sealed class ReplicaSetController : Controller
{
    /// <summary>BurstReplicas upstream: at most this many creations or deletions per sync.</summary>
    public const int BurstReplicas = 500;
    public const string Component = "replicaset-controller";

    private readonly KubeClient _client;
    private readonly Informer _replicaSets;
    private readonly Informer _pods;
    private readonly TimeProvider _time;

    public override string Name => "replicaset";
    public ControllerExpectations Expectations { get; }
    public EventRecorder Recorder { get; }

    public ReplicaSetController(KubeClient client, ILogger log, TimeProvider? time = null, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _time = time ?? TimeProvider.System;
        Expectations = new ControllerExpectations(_time);
        Recorder = new EventRecorder(client, Component, log, _time);
        _replicaSets = informers.For(Workloads.ReplicaSets);
        _pods = informers.For(Workloads.Pods);
        _replicaSets.Added += rs => Queue.Add(Informer.KeyOf(rs));
        _replicaSets.Updated += (_, rs) => Queue.Add(Informer.KeyOf(rs));
        _replicaSets.Deleted += rs =>
        {
            Expectations.Delete(Informer.KeyOf(rs));
            Queue.Add(Informer.KeyOf(rs));
        };
        _pods.Added += AddPod;
        _pods.Updated += UpdatePod;
        _pods.Deleted += DeletePod;
    }

    protected override IEnumerable<Informer> Informers => [_replicaSets, _pods];

    /// <summary>The ReplicaSet a controller reference points at, if it is in the cache with that uid.</summary>
    private JsonObject? Resolve(string ns, JsonObject? reference)
    {
        if (reference == null || (string?)reference["kind"] != "ReplicaSet") return null;
        var rs = _replicaSets.Get($"{ns}/{(string?)reference["name"]}");
        return rs != null && ObjectMeta.Uid(rs) == ControllerRef.Uid(reference) ? rs : null;
    }

    /// <summary>ReplicaSets in the pod's namespace whose selector matches it (for orphans).</summary>
    private IEnumerable<JsonObject> SelectingReplicaSets(JsonObject pod)
    {
        var ns = ObjectMeta.Namespace(pod);
        foreach (var rs in _replicaSets.List())
        {
            if (ObjectMeta.Namespace(rs) != ns) continue;
            LabelSelector selector;
            try { selector = LabelSelector.FromLabelSelectorJson(rs["spec"]?["selector"] as JsonObject); }
            catch (Exception) { continue; }
            if (!selector.IsEmpty && selector.Matches(ObjectMeta.Labels(pod))) yield return rs;
        }
    }

    private void AddPod(JsonObject pod)
    {
        if (ObjectMeta.IsDeleting(pod))
        {
            // Seen for the first time already going: count it as a deletion, not a creation.
            DeletePod(pod);
            return;
        }
        if (ControllerRef.Of(pod) is { } reference)
        {
            if (Resolve(ObjectMeta.Namespace(pod), reference) is not { } rs) return;
            var key = Informer.KeyOf(rs);
            Expectations.CreationObserved(key);
            Queue.Add(key);
            return;
        }
        foreach (var rs in SelectingReplicaSets(pod)) Queue.Add(Informer.KeyOf(rs));
    }

    private void UpdatePod(JsonObject old, JsonObject cur)
    {
        var labelsChanged = !JsonNode.DeepEquals(ObjectMeta.Labels(old), ObjectMeta.Labels(cur));
        if (ObjectMeta.IsDeleting(cur))
        {
            DeletePod(cur);
            if (labelsChanged) DeletePod(old);
            return;
        }
        var curRef = ControllerRef.Of(cur);
        var oldRef = ControllerRef.Of(old);
        var refChanged = !JsonNode.DeepEquals(curRef, oldRef);
        if (refChanged && Resolve(ObjectMeta.Namespace(old), oldRef) is { } oldRs) Queue.Add(Informer.KeyOf(oldRs));
        if (curRef != null)
        {
            if (Resolve(ObjectMeta.Namespace(cur), curRef) is not { } rs) return;
            var key = Informer.KeyOf(rs);
            Queue.Add(key);
            // A pod that just became ready turns available minReadySeconds later: look again then.
            var minReady = MinReadySeconds(rs);
            if (!PodUtil.IsReady(old) && PodUtil.IsReady(cur) && minReady > 0) Queue.AddAfter(key, TimeSpan.FromSeconds(minReady + 1));
            return;
        }
        if (labelsChanged || refChanged)
            foreach (var rs in SelectingReplicaSets(cur)) Queue.Add(Informer.KeyOf(rs));
    }

    private void DeletePod(JsonObject pod)
    {
        if (Resolve(ObjectMeta.Namespace(pod), ControllerRef.Of(pod)) is not { } rs) return;
        var key = Informer.KeyOf(rs);
        Expectations.DeletionObserved(key, Informer.KeyOf(pod));
        Queue.Add(key);
    }

    internal static int Replicas(JsonObject rs) => (int?)rs["spec"]?["replicas"] ?? 1;
    internal static int MinReadySeconds(JsonObject rs) => (int?)rs["spec"]?["minReadySeconds"] ?? 0;

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var cached = _replicaSets.Get(key);
        if (cached == null)
        {
            Expectations.Delete(key);
            return;
        }
        var rs = (JsonObject)cached.DeepClone();
        var needsSync = Expectations.Satisfied(key);
        LabelSelector selector;
        try
        {
            selector = LabelSelector.FromLabelSelectorJson(rs["spec"]?["selector"] as JsonObject);
        }
        catch (Exception e)
        {
            Log.LogWarning("controller=replicaset key={Key} invalid selector: {Error}", key, e.Message);
            return;
        }
        var ns = ObjectMeta.Namespace(rs);
        var active = _pods.List().Where(p => ObjectMeta.Namespace(p) == ns && PodUtil.IsActive(p)).ToList();
        var claimer = new ControllerRefManager(_client, Workloads.Pods, Workloads.ReplicaSets, "ReplicaSet", rs, selector);
        var pods = await claimer.ClaimAsync(active, ct).ConfigureAwait(false);

        Exception? manageError = null;
        if (needsSync && !ObjectMeta.IsDeleting(rs))
        {
            try { await ManageReplicasAsync(key, rs, pods, ct).ConfigureAwait(false); }
            catch (Exception e) when (e is ApiException or HttpRequestException or AggregateException) { manageError = e; }
        }
        var status = CalculateStatus(rs, pods, manageError, _time.GetUtcNow());
        var updated = await UpdateStatusAsync(rs, status, ct).ConfigureAwait(false);
        var minReady = MinReadySeconds(updated);
        if (manageError == null && minReady > 0
            && ((int?)updated["status"]?["readyReplicas"] ?? 0) == Replicas(updated)
            && ((int?)updated["status"]?["availableReplicas"] ?? 0) != Replicas(updated))
            Queue.AddAfter(key, TimeSpan.FromSeconds(minReady));
        if (manageError != null) throw manageError;
    }

    private async Task ManageReplicasAsync(string key, JsonObject rs, List<JsonObject> pods, CancellationToken ct)
    {
        var diff = pods.Count - Replicas(rs);
        if (diff < 0)
        {
            var toCreate = Math.Min(-diff, BurstReplicas);
            Expectations.ExpectCreations(key, toCreate);
            var (created, error) = await SlowStartBatchAsync(toCreate, 1, () => CreatePodAsync(rs, ct)).ConfigureAwait(false);
            // Pods never attempted will not show up in the informer: stop waiting for them.
            var skipped = toCreate - created;
            if (skipped > 0) Expectations.Lower(key, skipped, 0);
            if (error != null) throw error;
        }
        else if (diff > 0)
        {
            var toDelete = Math.Min(diff, BurstReplicas);
            var related = RelatedPods(rs);
            var victims = ActivePodsRanking.PodsToDelete(pods, related, toDelete, _time.GetUtcNow());
            Expectations.ExpectDeletions(key, victims.Select(Informer.KeyOf).ToList());
            var errors = await Task.WhenAll(victims.Select(async pod =>
            {
                try
                {
                    await _client.DeleteAsync(Workloads.Pods, ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), ct: ct).ConfigureAwait(false);
                    Recorder.Event(rs, EventRecorder.Normal, "SuccessfulDelete", $"Deleted pod: {ObjectMeta.Name(pod)}");
                    return null;
                }
                catch (ApiException e)
                {
                    // The informer will not report a deletion that did not happen.
                    Expectations.DeletionObserved(key, Informer.KeyOf(pod));
                    if (e.IsNotFound) return null;
                    Recorder.Event(rs, EventRecorder.Warning, "FailedDelete", $"Error deleting: {e.Message}");
                    return e;
                }
            })).ConfigureAwait(false);
            if (errors.FirstOrDefault(e => e != null) is { } first) throw first;
        }
    }

    /// <summary>Active pods of this ReplicaSet's siblings (same controlling owner), for the same-node rank.</summary>
    private List<JsonObject> RelatedPods(JsonObject rs)
    {
        var ns = ObjectMeta.Namespace(rs);
        var ownerUid = ControllerRef.Uid(ControllerRef.Of(rs));
        var siblings = _replicaSets.List()
            .Where(r => ObjectMeta.Namespace(r) == ns && (ObjectMeta.Uid(r) == ObjectMeta.Uid(rs) || ownerUid.Length > 0 && ControllerRef.Uid(ControllerRef.Of(r)) == ownerUid))
            .Select(ObjectMeta.Uid).ToHashSet();
        return _pods.List().Where(p => ObjectMeta.Namespace(p) == ns && PodUtil.IsActive(p) && siblings.Contains(ControllerRef.Uid(ControllerRef.Of(p)))).ToList();
    }

    private async Task CreatePodAsync(JsonObject rs, CancellationToken ct)
    {
        var pod = PodFromTemplate(rs, ControllerRef.New(rs, "apps/v1", "ReplicaSet"));
        try
        {
            var created = await _client.CreateAsync(Workloads.Pods, ObjectMeta.Namespace(rs), pod, ct).ConfigureAwait(false);
            Recorder.Event(rs, EventRecorder.Normal, "SuccessfulCreate", $"Created pod: {ObjectMeta.Name(created)}");
        }
        catch (ApiException e)
        {
            // A namespace being deleted refuses every creation; nothing to report.
            if (IsNamespaceTerminating(e)) return;
            Recorder.Event(rs, EventRecorder.Warning, "FailedCreate", $"Error creating: {e.Message}");
            throw;
        }
    }

    internal static bool IsNamespaceTerminating(ApiException e) =>
        (e.Status?["details"]?["causes"] as JsonArray ?? []).OfType<JsonObject>().Any(c => (string?)c["reason"] == "NamespaceTerminating")
        || e.Code == 403 && e.Message.Contains("because it is being terminated", StringComparison.Ordinal);

    /// <summary>A pod for <paramref name="owner"/> from its spec.template (controller.GetPodFromTemplate): name prefix "&lt;owner&gt;-".</summary>
    public static JsonObject PodFromTemplate(JsonObject owner, JsonObject controllerRef)
    {
        var template = owner["spec"]?["template"] as JsonObject ?? new JsonObject();
        var meta = new JsonObject
        {
            ["generateName"] = ObjectMeta.Name(owner) + "-",
            ["namespace"] = ObjectMeta.Namespace(owner),
        };
        foreach (var field in (string[])["labels", "annotations", "finalizers"])
            if (template["metadata"]?[field] is { } value) meta[field] = value.DeepClone();
        meta["ownerReferences"] = new JsonArray(controllerRef.DeepClone());
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = meta,
            ["spec"] = template["spec"]?.DeepClone() ?? new JsonObject(),
        };
    }

    /// <summary>
    /// Runs <paramref name="count"/> calls in batches of 1, 2, 4, … (controller.slowStartBatch), stopping after
    /// the first batch with a failure, so a failing create (quota) costs one call rather than hundreds.
    /// </summary>
    public static async Task<(int Successes, Exception? Error)> SlowStartBatchAsync(int count, int initialBatchSize, Func<Task> fn)
    {
        var remaining = count;
        var successes = 0;
        for (var batch = Math.Min(remaining, initialBatchSize); batch > 0; batch = Math.Min(2 * batch, remaining))
        {
            var results = await Task.WhenAll(Enumerable.Range(0, batch).Select(async _ =>
            {
                try
                {
                    await fn().ConfigureAwait(false);
                    return null;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    return e;
                }
            })).ConfigureAwait(false);
            successes += results.Count(r => r == null);
            if (results.FirstOrDefault(r => r != null) is { } error) return (successes, error);
            remaining -= batch;
        }
        return (successes, null);
    }

    /// <summary>The status for what was observed (calculateStatus); ReplicaFailure reports a failed create or delete.</summary>
    public static JsonObject CalculateStatus(JsonObject rs, IReadOnlyList<JsonObject> pods, Exception? manageError, DateTimeOffset now)
    {
        var old = rs["status"] as JsonObject ?? new JsonObject();
        var templateLabels = rs["spec"]?["template"]?["metadata"]?["labels"] as JsonObject;
        var templateSelector = LabelSelector.FromSet(templateLabels?.ToDictionary(p => p.Key, p => (string?)p.Value ?? ""));
        var minReady = MinReadySeconds(rs);
        var fullyLabeled = pods.Count(p => templateSelector.Matches(ObjectMeta.Labels(p)));
        var ready = pods.Count(PodUtil.IsReady);
        var available = pods.Count(p => PodUtil.IsAvailable(p, minReady, now));

        var conditions = (old["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => (JsonObject)c.DeepClone()).ToList();
        var failure = conditions.FirstOrDefault(c => (string?)c["type"] == "ReplicaFailure");
        if (manageError != null && failure == null)
        {
            var reason = pods.Count - Replicas(rs) < 0 ? "FailedCreate" : "FailedDelete";
            conditions.Add(new JsonObject
            {
                ["type"] = "ReplicaFailure",
                ["status"] = "True",
                ["lastTransitionTime"] = ObjectMeta.FormatTime(now),
                ["reason"] = reason,
                ["message"] = manageError.Message,
            });
        }
        else if (manageError == null && failure != null)
        {
            conditions.Remove(failure);
        }

        var status = new JsonObject { ["replicas"] = pods.Count };
        if (fullyLabeled > 0) status["fullyLabeledReplicas"] = fullyLabeled;
        if (ready > 0) status["readyReplicas"] = ready;
        if (available > 0) status["availableReplicas"] = available;
        if (old["observedGeneration"] is { } og) status["observedGeneration"] = og.DeepClone();
        if (conditions.Count > 0) status["conditions"] = new JsonArray(conditions.Select(c => (JsonNode?)c).ToArray());
        return status;
    }

    /// <summary>Writes status (with observedGeneration) unless nothing changed; retries once on a fresh copy.</summary>
    private async Task<JsonObject> UpdateStatusAsync(JsonObject rs, JsonObject status, CancellationToken ct)
    {
        var generation = rs["metadata"]?["generation"]?.DeepClone();
        if (JsonNode.DeepEquals(rs["status"], status) && JsonNode.DeepEquals(status["observedGeneration"], generation)) return rs;
        var current = rs;
        for (var attempt = 0; ; attempt++)
        {
            var next = (JsonObject)current.DeepClone();
            var s = (JsonObject)status.DeepClone();
            if (generation != null) s["observedGeneration"] = generation.DeepClone();
            next["status"] = s;
            try
            {
                return await _client.UpdateAsync(Workloads.ReplicaSets, ObjectMeta.Namespace(rs), ObjectMeta.Name(rs), next, "status", ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (attempt == 0 && !e.IsNotFound)
            {
                current = await _client.GetAsync(Workloads.ReplicaSets, ObjectMeta.Namespace(rs), ObjectMeta.Name(rs), ct).ConfigureAwait(false);
            }
        }
    }
}
