using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Machinery.Meta;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Controllers.Job;

public sealed partial class JobController
{
    /// <summary>
    /// trackJobStatusAndRemoveFinalizers: (1) records finished pods in status.uncountedTerminatedPods and
    /// writes that, (2) removes their tracking finalizers, (3) moves the uids whose finalizer is gone into the
    /// counters, (4) once nothing is uncounted or terminating, turns the interim condition into the final
    /// Complete or Failed one. Each write happens only when the status changed.
    /// </summary>
    private async Task TrackStatusAndRemoveFinalizersAsync(SyncContext x, CancellationToken ct)
    {
        var status = x.Status;
        var job = x.Job;
        var indexed = Str(job["spec"]?["completionMode"]) == "Indexed";
        var completions = Int(job["spec"]?["completions"]) ?? 0;
        var now = _time.GetUtcNow();
        var withFinalizer = x.Pods
            .Where(p => PodFacts.HasFinalizer(p, TrackingFinalizer) && !x.ExpectedRemovedFinalizers.Contains(ObjectMeta.Uid(p)))
            .Select(ObjectMeta.Uid).ToHashSet();
        CleanUncounted(status, withFinalizer);

        var toRemove = new List<JsonObject>();
        var newSucceededIndexes = new List<int>();
        foreach (var pod in x.Pods)
        {
            var uid = ObjectMeta.Uid(pod);
            if (!PodFacts.HasFinalizer(pod, TrackingFinalizer) || x.ExpectedRemovedFinalizers.Contains(uid)) continue;
            var failed = IsPodFailed(pod, job);
            var canRemove = ObjectMeta.IsDeleting(job) || x.FinishedCondition != null || PodFacts.Phase(pod) == "Succeeded" || failed;
            if (!canRemove) continue;
            toRemove.Add(pod);
            if (PodFacts.Phase(pod) == "Succeeded" && !status.UncountedFailed.Contains(uid))
            {
                if (indexed)
                {
                    var ix = PodFacts.CompletionIndex(pod);
                    if (ix >= 0 && ix < completions && !x.PreviousSucceededIndexes.Contains(ix)) newSucceededIndexes.Add(ix);
                }
                else if (!status.UncountedSucceeded.Contains(uid))
                {
                    status.UncountedSucceeded.Add(uid);
                }
            }
            else if (failed || (x.FinishedCondition != null && Str(x.FinishedCondition["type"]) != "SuccessCriteriaMet"))
            {
                // A job that is finishing counts every pod it stops as failed.
                var ix = PodFacts.CompletionIndex(pod);
                if (!status.UncountedFailed.Contains(uid) && (!indexed || (ix >= 0 && ix < completions)))
                    status.UncountedFailed.Add(uid);
            }
            if (newSucceededIndexes.Count + status.UncountedSucceeded.Count + status.UncountedFailed.Count >= MaxUncountedPods) break;
        }
        var reachedMax = newSucceededIndexes.Count + status.UncountedSucceeded.Count + status.UncountedFailed.Count >= MaxUncountedPods;
        if (indexed)
        {
            var all = new SortedSet<int>(x.PreviousSucceededIndexes);
            all.UnionWith(newSucceededIndexes);
            status.CompletedIndexes = CompletedIndexes.Format(all);
            status.Succeeded = all.Count;
        }

        // The interim condition goes in before finalizers are removed; the final one is prepared.
        if (x.FinishedCondition is { } fc)
        {
            var type = Str(fc["type"]);
            if (type == "FailureTarget")
            {
                status.Conditions.Add(fc);
                x.FinishedCondition = JobStatus.NewCondition("Failed", "True", Str(fc["reason"]) ?? "", Str(fc["message"]) ?? "", now);
            }
            else if (type == "SuccessCriteriaMet")
            {
                if (!status.HasTrueCondition("SuccessCriteriaMet")) status.Conditions.Add(fc);
                x.FinishedCondition = JobStatus.NewCondition("Complete", "True", Str(fc["reason"]) ?? "", Str(fc["message"]) ?? "", now);
            }
        }

        // Flush the uncounted uids (and interim condition) before touching finalizers.
        await FlushAsync(x, ct).ConfigureAwait(false);
        _backoff[x.Key] = x.NewBackoff;

        Exception? removeError = null;
        if (toRemove.Count > 0)
        {
            _finalizerExpectations.Expect(x.Key, toRemove.Select(ObjectMeta.Uid));
            foreach (var pod in toRemove)
            {
                try
                {
                    await RemoveTrackingFinalizerAsync(pod, ct).ConfigureAwait(false);
                    withFinalizer.Remove(ObjectMeta.Uid(pod));
                }
                catch (ApiException e)
                {
                    _finalizerExpectations.Observed(x.Key, ObjectMeta.Uid(pod));
                    removeError ??= e;
                }
            }
        }
        CleanUncounted(status, withFinalizer);
        if (removeError != null)
        {
            await FlushAsync(x, ct).ConfigureAwait(false);
            throw removeError;
        }

        var finished = false;
        if (!reachedMax && x.FinishedCondition is { } final && status.UncountedSucceeded.Count + status.UncountedFailed.Count == 0 && status.Terminating == 0)
        {
            status.EnsureCondition(Str(final["type"])!, "True", Str(final["reason"]) ?? "", Str(final["message"]) ?? "", now);
            if (Str(final["type"]) == "Complete") status.CompletionTime = ObjectMeta.FormatTime(now);
            finished = true;
        }
        await FlushAsync(x, ct).ConfigureAwait(false);
        if (finished && x.FinishedCondition is { } done)
        {
            if (Str(done["type"]) == "Complete")
            {
                if (Int(job["spec"]?["completions"]) is { } c && status.Succeeded > c)
                    await _events.EventAsync(x.Job, EventRecorder.Warning, "TooManySucceededPods", "Too many succeeded pods running after completion count reached", ct).ConfigureAwait(false);
                await _events.EventAsync(x.Job, EventRecorder.Normal, "Completed", "Job completed", ct).ConfigureAwait(false);
            }
            else
            {
                await _events.EventAsync(x.Job, EventRecorder.Warning, Str(done["reason"]) ?? "", Str(done["message"]) ?? "", ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Moves uncounted uids whose pods no longer carry the finalizer into the succeeded/failed counters.</summary>
    private static void CleanUncounted(JobStatus status, HashSet<string> withFinalizer)
    {
        var succeeded = status.UncountedSucceeded.Where(withFinalizer.Contains).ToList();
        status.Succeeded += status.UncountedSucceeded.Count - succeeded.Count;
        status.UncountedSucceeded = succeeded;
        var failed = status.UncountedFailed.Where(withFinalizer.Contains).ToList();
        status.Failed += status.UncountedFailed.Count - failed.Count;
        status.UncountedFailed = failed;
    }

    /// <summary>Writes the status through /status when it differs from what the job holds; keeps the answer.</summary>
    private async Task FlushAsync(SyncContext x, CancellationToken ct)
    {
        var desired = x.Status.ToJson();
        if (JsonNode.DeepEquals(desired, x.Job["status"])) return;
        var update = (JsonObject)x.Job.DeepClone();
        update["status"] = desired;
        var written = await _client.UpdateAsync(Jobs, ObjectMeta.Namespace(x.Job), ObjectMeta.Name(x.Job), update, "status", ct).ConfigureAwait(false);
        written["apiVersion"] ??= "batch/v1";
        written["kind"] ??= "Job";
        x.Job = written;
    }
}
