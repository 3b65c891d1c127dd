using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Controllers.Job;

public sealed partial class JobController
{
    /// <summary>
    /// manageJob: deletes pods of suspended jobs or beyond what is wanted, else creates the missing ones
    /// (after the failure backoff), in slow-start batches. Returns the new active count.
    /// </summary>
    private async Task<int> ManageJobAsync(SyncContext x, CancellationToken ct)
    {
        var job = x.Job;
        var spec = (JsonObject)job["spec"]!;
        var active = x.ActivePods.Count;
        var parallelism = (int)(Int(spec["parallelism"]) ?? 1);
        if (Bool(spec["suspend"]) == true)
        {
            var all = PodsForRemoval(job, x.ActivePods, active);
            _expectations.ExpectDeletions(x.Key, all.Count);
            var (removedReady, removed) = await DeletePodsAsync(job, x.Key, all, removeFinalizer: true, ct).ConfigureAwait(false);
            x.Terminating += removed;
            x.Ready -= removedReady;
            return active - removed;
        }

        int wantActive;
        var completions = Int(spec["completions"]);
        if (completions == null) wantActive = x.Succeeded > 0 ? active : parallelism;
        else wantActive = Math.Max(0, Math.Min((int)completions.Value - x.Succeeded, parallelism));

        var toDelete = PodsForRemoval(job, x.ActivePods, Math.Max(0, active - wantActive));
        if (toDelete.Count > MaxPodCreateDeletePerSync) toDelete = toDelete[..MaxPodCreateDeletePerSync];
        if (toDelete.Count > 0)
        {
            _expectations.ExpectDeletions(x.Key, toDelete.Count);
            var (removedReady, removed) = await DeletePodsAsync(job, x.Key, toDelete, removeFinalizer: true, ct).ConfigureAwait(false);
            x.Terminating += removed;
            x.Ready -= removedReady;
            // Deleting and creating in one sync is never done; deletion wins.
            return active - removed;
        }

        var terminating = OnlyReplaceFailedPods(job) ? x.Terminating : 0;
        var diff = wantActive - terminating - active;
        if (diff <= 0) return active;
        var remaining = x.NewBackoff.RemainingTime(_time.GetUtcNow(), PodFailureBackoff, MaxPodFailureBackoff);
        if (remaining > TimeSpan.Zero)
        {
            RequeueAfter(x.Key, remaining, ct);
            return active;
        }
        diff = Math.Min(diff, MaxPodCreateDeletePerSync);
        var indexes = new Queue<int>();
        if (Str(spec["completionMode"]) == "Indexed")
        {
            foreach (var i in FirstPendingIndexes(x, diff, (int)(completions ?? 0))) indexes.Enqueue(i);
            diff = indexes.Count;
        }
        _expectations.ExpectCreations(x.Key, diff);
        active += diff;
        var template = (JsonObject)(spec["template"] ?? new JsonObject()).DeepClone();
        // Slow start: 1, 2, 4, ... creates; stop at the first failing batch (quota, admission) to spare the API.
        for (var batch = Math.Min(diff, 1); diff > 0; batch = Math.Min(2 * batch, diff))
        {
            var tasks = new List<Task<bool>>();
            for (var i = 0; i < batch; i++)
            {
                var index = indexes.Count > 0 ? indexes.Dequeue() : -1;
                tasks.Add(CreatePodAsync(job, x.Key, template, index, ct));
            }
            var results = await Task.WhenAll(tasks).ConfigureAwait(false);
            var failures = results.Count(ok => !ok);
            active -= failures;
            diff -= batch;
            if (failures > 0 && diff > 0)
            {
                for (var i = 0; i < diff; i++) _expectations.CreationObserved(x.Key);
                active -= diff;
                break;
            }
        }
        return active;
    }

    private async Task<bool> CreatePodAsync(JsonObject job, string key, JsonObject template, int index, CancellationToken ct)
    {
        var pod = PodFromTemplate(job, template, index);
        try
        {
            var created = await _client.CreateAsync(Pods, ObjectMeta.Namespace(job), pod, ct).ConfigureAwait(false);
            await _events.EventAsync(job, EventRecorder.Normal, "SuccessfulCreate", $"Created pod: {ObjectMeta.Name(created)}", ct).ConfigureAwait(false);
            return true;
        }
        catch (ApiException e)
        {
            _expectations.CreationObserved(key);
            // A namespace being torn down refuses every create; nothing to report.
            if (e.Status?["details"]?["causes"] is JsonArray causes && causes.OfType<JsonObject>().Any(c => Str(c["type"]) == "NamespaceTerminating")) return false;
            await _events.EventAsync(job, EventRecorder.Warning, "FailedCreate", $"Error creating: {e.Message}", ct).ConfigureAwait(false);
            Log.LogWarning("controller=job job={Namespace}/{Name} create pod failed: {Error}", ObjectMeta.Namespace(job), ObjectMeta.Name(job), e.Message);
            return false;
        }
    }

    /// <summary>A pod from the job's template (GetPodFromTemplate), with the tracking finalizer and, for Indexed jobs, its index.</summary>
    internal static JsonObject PodFromTemplate(JsonObject job, JsonObject template, int index)
    {
        var tmeta = template["metadata"] as JsonObject ?? new JsonObject();
        var labels = (tmeta["labels"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
        var annotations = (tmeta["annotations"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
        var finalizers = (tmeta["finalizers"] as JsonArray ?? []).Select(Str).OfType<string>().ToList();
        if (!finalizers.Contains(TrackingFinalizer)) finalizers.Add(TrackingFinalizer);
        var podSpec = (template["spec"] as JsonObject)?.DeepClone() as JsonObject ?? new JsonObject();
        var name = ObjectMeta.Name(job);
        var generateName = name + "-";
        if (index >= 0)
        {
            var ix = index.ToString(CultureInfo.InvariantCulture);
            annotations[CompletionIndexAnnotation] = ix;
            labels[CompletionIndexAnnotation] = ix;
            podSpec["hostname"] = $"{name}-{ix}";
            generateName = $"{name}-{ix}-";
            AddCompletionIndexEnv(podSpec);
        }
        var meta = new JsonObject { ["generateName"] = generateName, ["namespace"] = ObjectMeta.Namespace(job) };
        if (labels.Count > 0) meta["labels"] = labels;
        if (annotations.Count > 0) meta["annotations"] = annotations;
        meta["finalizers"] = new JsonArray(finalizers.Select(f => (JsonNode?)f).ToArray());
        meta["ownerReferences"] = new JsonArray(ControllerRefOf(job));
        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = meta, ["spec"] = podSpec };
    }

    /// <summary>JOB_COMPLETION_INDEX from the pod's annotation, in every container that lacks it.</summary>
    private static void AddCompletionIndexEnv(JsonObject podSpec)
    {
        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var c in (podSpec[list] as JsonArray ?? []).OfType<JsonObject>())
            {
                var env = c["env"] as JsonArray;
                if (env == null) c["env"] = env = [];
                if (env.OfType<JsonObject>().Any(e => Str(e["name"]) == "JOB_COMPLETION_INDEX")) continue;
                env.Add(new JsonObject
                {
                    ["name"] = "JOB_COMPLETION_INDEX",
                    ["valueFrom"] = new JsonObject
                    {
                        ["fieldRef"] = new JsonObject { ["fieldPath"] = $"metadata.annotations['{CompletionIndexAnnotation}']" },
                    },
                });
            }
        }
    }

    /// <summary>The lowest indexes neither succeeded nor held by an active pod.</summary>
    private static List<int> FirstPendingIndexes(SyncContext x, int count, int completions)
    {
        var taken = new HashSet<int>(x.SucceededIndexes);
        foreach (var p in x.ActivePods) taken.Add(PodFacts.CompletionIndex(p));
        var result = new List<int>();
        for (var i = 0; i < completions && result.Count < count; i++)
            if (!taken.Contains(i)) result.Add(i);
        return result;
    }

    /// <summary>
    /// Pods to delete first: for Indexed jobs duplicates and out-of-range indexes, then (ActivePods order)
    /// unscheduled before scheduled, pending before running, not ready before ready, newer before older.
    /// </summary>
    private static List<JsonObject> PodsForRemoval(JsonObject job, List<JsonObject> pods, int atLeast)
    {
        var remove = new List<JsonObject>();
        var left = pods;
        if (Str(job["spec"]?["completionMode"]) == "Indexed")
        {
            var completions = Int(job["spec"]?["completions"]) ?? 0;
            left = [];
            var seen = new HashSet<int>();
            foreach (var p in pods.OrderBy(PodFacts.CompletionIndex))
            {
                var ix = PodFacts.CompletionIndex(p);
                if (ix < 0 || ix >= completions || !seen.Add(ix)) remove.Add(p);
                else left.Add(p);
            }
        }
        if (remove.Count < atLeast)
        {
            var ordered = left
                .OrderBy(p => PodFacts.IsScheduled(p) ? 1 : 0)
                .ThenBy(p => PodFacts.Phase(p) switch { "Pending" => 0, "Unknown" => 1, "Running" => 2, _ => 3 })
                .ThenBy(p => PodFacts.IsReady(p) ? 1 : 0)
                .ThenByDescending(p => PodFacts.RestartCount(p))
                .ThenByDescending(PodFacts.CreationTime);
            remove.AddRange(ordered.Take(atLeast - remove.Count));
        }
        return remove;
    }

    /// <summary>
    /// Deletes pods; with <paramref name="removeFinalizer"/> it first drops the tracking finalizer (the pods
    /// are not counted). Returns how many ready pods and how many pods in all were deleted.
    /// </summary>
    private async Task<(int Ready, int Deleted)> DeletePodsAsync(JsonObject job, string key, List<JsonObject> pods, bool removeFinalizer, CancellationToken ct)
    {
        var ready = 0;
        var deleted = 0;
        Exception? error = null;
        foreach (var pod in pods)
        {
            try
            {
                if (removeFinalizer && PodFacts.HasFinalizer(pod, TrackingFinalizer)) await RemoveTrackingFinalizerAsync(pod, ct).ConfigureAwait(false);
                await _client.DeleteAsync(Pods, ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), ct: ct).ConfigureAwait(false);
                await _events.EventAsync(job, EventRecorder.Normal, "SuccessfulDelete", $"Deleted pod: {ObjectMeta.Name(pod)}", ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
                if (removeFinalizer) _expectations.DeletionObserved(key);
            }
            catch (ApiException e)
            {
                if (removeFinalizer) _expectations.DeletionObserved(key);
                await _events.EventAsync(job, EventRecorder.Warning, "FailedDelete", $"Error deleting: {e.Message}", ct).ConfigureAwait(false);
                error ??= e;
                continue;
            }
            deleted++;
            if (PodFacts.IsReady(pod)) ready++;
        }
        if (error != null && deleted == 0) throw error;
        return (ready, deleted);
    }
}
