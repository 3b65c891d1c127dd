using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;
using static Anvil.Controllers.Deployment.DeploymentUtil;

namespace Anvil.Controllers.Deployment;

// The ReplicaSet bookkeeping shared by every strategy (sync.go upstream).
public sealed partial class DeploymentController
{
    /// <summary>The new ReplicaSet (created if asked and missing) and the old ones, with revisions brought up to date.</summary>
    private async Task<(JsonObject? NewRS, List<JsonObject> OldRSs)> AllReplicaSetsAndSyncRevisionAsync(SyncContext ctx, List<JsonObject> rsList, bool createIfNotExisted)
    {
        var existing = FindNewReplicaSet(ctx.D, rsList);
        var oldRSs = rsList.Where(rs => existing == null || ObjectMeta.Uid(rs) != ObjectMeta.Uid(existing)).ToList();
        var newRS = await NewReplicaSetAsync(ctx, existing, oldRSs, createIfNotExisted).ConfigureAwait(false);
        return (newRS, oldRSs);
    }

    private async Task<JsonObject?> NewReplicaSetAsync(SyncContext ctx, JsonObject? existing, List<JsonObject> oldRSs, bool createIfNotExisted)
    {
        var d = ctx.D;
        var ct = ctx.Ct;
        var now = _time.GetUtcNow();
        var newRevision = (MaxRevision(oldRSs) + 1).ToString(CultureInfo.InvariantCulture);

        if (existing != null)
        {
            // The template may be an old one again (rollout undo): the ReplicaSet takes the next revision.
            var copy = (JsonObject)existing.DeepClone();
            var annotationsUpdated = SetNewReplicaSetAnnotations(d, copy, newRevision, exists: true);
            var minReadyNeedsUpdate = MinReadySeconds(copy) != MinReadySeconds(d);
            if (annotationsUpdated || minReadyNeedsUpdate)
            {
                ((JsonObject)copy["spec"]!)["minReadySeconds"] = MinReadySeconds(d);
                await UpdateReplicaSetAsync(copy, ct).ConfigureAwait(false);
                Replace(existing, copy);
            }
            var needsUpdate = SetDeploymentRevision(d, Annotation(existing, RevisionAnnotation));
            if (HasProgressDeadline(d) && GetCondition(d["status"] as JsonObject, "Progressing") == null)
            {
                SetCondition(StatusOf(d), NewCondition("Progressing", "True", FoundNewRSReason, $"Found new replica set {Quote(ObjectMeta.Name(existing))}", now));
                needsUpdate = true;
            }
            if (needsUpdate) await UpdateStatusAsync(ctx, ct).ConfigureAwait(false);
            return existing;
        }
        if (!createIfNotExisted) return null;

        var collisionCount = (int?)d["status"]?["collisionCount"];
        var hash = ComputeHash(d["spec"]?["template"], collisionCount);
        var template = (JsonObject)(d["spec"]?["template"]?.DeepClone() ?? new JsonObject());
        var templateMeta = template["metadata"] as JsonObject ?? new JsonObject();
        template["metadata"] = templateMeta;
        var labels = templateMeta["labels"] as JsonObject ?? new JsonObject();
        templateMeta["labels"] = labels;
        labels[PodTemplateHashLabel] = hash;
        var selector = (JsonObject)(d["spec"]?["selector"]?.DeepClone() ?? new JsonObject());
        var matchLabels = selector["matchLabels"] as JsonObject ?? new JsonObject();
        selector["matchLabels"] = matchLabels;
        matchLabels[PodTemplateHashLabel] = hash;

        var name = ObjectMeta.Name(d) + "-" + hash;
        var rs = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "ReplicaSet",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["namespace"] = ObjectMeta.Namespace(d),
                ["labels"] = labels.DeepClone(),
                ["ownerReferences"] = new JsonArray(ControllerRef.New(d, "apps/v1", "Deployment")),
            },
            ["spec"] = new JsonObject
            {
                ["replicas"] = 0,
                ["minReadySeconds"] = MinReadySeconds(d),
                ["selector"] = selector,
                ["template"] = template,
            },
        };
        var newReplicas = NewRSNewReplicas(d, [.. oldRSs, rs], rs);
        SetReplicas(rs, newReplicas);
        SetNewReplicaSetAnnotations(d, rs, newRevision, exists: false);

        JsonObject created;
        var alreadyExists = false;
        try
        {
            created = await _client.CreateAsync(Workloads.ReplicaSets, ObjectMeta.Namespace(d), rs, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            alreadyExists = true;
            var found = await _client.GetAsync(Workloads.ReplicaSets, ObjectMeta.Namespace(d), name, ct).ConfigureAwait(false);
            if (ControllerRef.IsControlledBy(found, d) && EqualIgnoreHash(d["spec"]?["template"], found["spec"]?["template"]))
            {
                created = found;
            }
            else
            {
                // A different template hashed to this name: bump collisionCount so the next hash differs.
                StatusOf(d)["collisionCount"] = (collisionCount ?? 0) + 1;
                try { await UpdateStatusAsync(ctx, ct).ConfigureAwait(false); } catch (ApiException) { }
                throw;
            }
        }
        catch (ApiException e) when (!ReplicaSetController.IsNamespaceTerminating(e))
        {
            var msg = $"Failed to create new replica set {Quote(name)}: {e.Message}";
            if (HasProgressDeadline(d))
            {
                SetCondition(StatusOf(d), NewCondition("Progressing", "False", FailedRSCreateReason, msg, now));
                try { await UpdateStatusAsync(ctx, ct).ConfigureAwait(false); } catch (ApiException) { }
            }
            Recorder.Event(d, EventRecorder.Warning, FailedRSCreateReason, msg);
            throw;
        }
        if (!alreadyExists && newReplicas > 0)
            Recorder.Event(d, EventRecorder.Normal, "ScalingReplicaSet", $"Scaled up replica set {ObjectMeta.Name(created)} to {newReplicas}");
        var changed = SetDeploymentRevision(d, newRevision);
        if (!alreadyExists && HasProgressDeadline(d))
        {
            SetCondition(StatusOf(d), NewCondition("Progressing", "True", NewReplicaSetReason, $"Created new replica set {Quote(ObjectMeta.Name(created))}", now));
            changed = true;
        }
        if (changed) await UpdateStatusAsync(ctx, ct).ConfigureAwait(false);
        return created;
    }

    private static JsonObject StatusOf(JsonObject d)
    {
        if (d["status"] is JsonObject s) return s;
        s = new JsonObject();
        d["status"] = s;
        return s;
    }

    /// <summary>Scales and records ScalingReplicaSet; false when the size was already right.</summary>
    private Task<bool> ScaleAndRecordAsync(SyncContext ctx, JsonObject rs, int newScale)
    {
        if (Replicas(rs) == newScale) return Task.FromResult(false);
        return ScaleAsync(ctx, rs, newScale, Replicas(rs) < newScale ? "up" : "down");
    }

    /// <summary>Writes a new size and the replica annotations when either is off; true when the size changed.</summary>
    private async Task<bool> ScaleAsync(SyncContext ctx, JsonObject rs, int newScale, string operation)
    {
        var d = ctx.D;
        var sizeNeedsUpdate = Replicas(rs) != newScale;
        var max = Replicas(d) + MaxSurge(d);
        if (!sizeNeedsUpdate && !ReplicasAnnotationsNeedUpdate(rs, Replicas(d), max)) return false;
        var oldScale = Replicas(rs);
        var copy = (JsonObject)rs.DeepClone();
        SetReplicas(copy, newScale);
        SetReplicasAnnotations(copy, Replicas(d), max);
        await UpdateReplicaSetAsync(copy, ctx.Ct).ConfigureAwait(false);
        Replace(rs, copy);
        if (!sizeNeedsUpdate) return false;
        Recorder.Event(d, EventRecorder.Normal, "ScalingReplicaSet", $"Scaled {operation} replica set {ObjectMeta.Name(rs)} to {newScale} from {oldScale}");
        return true;
    }

    /// <summary>A replica count change rather than a template change: some active ReplicaSet was sized for another count.</summary>
    private async Task<bool> IsScalingEventAsync(SyncContext ctx, List<JsonObject> rsList)
    {
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(ctx, rsList, false).ConfigureAwait(false);
        foreach (var rs in FilterActive(oldRSs.Append(newRS)))
        {
            if (!int.TryParse(Annotation(rs, DesiredReplicasAnnotation), NumberStyles.None, CultureInfo.InvariantCulture, out var desired)) continue;
            if (desired != Replicas(ctx.D)) return true;
        }
        return false;
    }

    /// <summary>Scaling (and, while paused, cleanup) without starting a rollout.</summary>
    private async Task SyncAsync(SyncContext ctx, List<JsonObject> rsList)
    {
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(ctx, rsList, false).ConfigureAwait(false);
        await ScaleDeploymentAsync(ctx, newRS, oldRSs).ConfigureAwait(false);
        if (IsPaused(ctx.D)) await CleanupAsync(ctx, oldRSs).ConfigureAwait(false);
        await SyncDeploymentStatusAsync(ctx, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
    }

    private async Task SyncStatusOnlyAsync(SyncContext ctx, List<JsonObject> rsList)
    {
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(ctx, rsList, false).ConfigureAwait(false);
        await SyncDeploymentStatusAsync(ctx, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
    }

    /// <summary>
    /// Resizes for a new spec.replicas: the only active ReplicaSet takes it all; during a rollout the
    /// difference is spread over the active ReplicaSets in proportion to their size (largest first),
    /// leftovers going to the first.
    /// </summary>
    private async Task ScaleDeploymentAsync(SyncContext ctx, JsonObject? newRS, List<JsonObject> oldRSs)
    {
        var d = ctx.D;
        if (FindActiveOrLatest(newRS, oldRSs) is { } only)
        {
            if (Replicas(only) != Replicas(d)) await ScaleAndRecordAsync(ctx, only, Replicas(d)).ConfigureAwait(false);
            return;
        }
        if (IsSaturated(d, newRS))
        {
            foreach (var old in FilterActive(oldRSs)) await ScaleAndRecordAsync(ctx, old, 0).ConfigureAwait(false);
            return;
        }
        if (!IsRollingUpdate(d)) return;
        var all = FilterActive(oldRSs.Append(newRS));
        var allowed = Replicas(d) > 0 ? Replicas(d) + MaxSurge(d) : 0;
        var toAdd = allowed - SumReplicas(all);
        if (toAdd > 0) all = BySizeNewer(all);
        else if (toAdd < 0) all = BySizeOlder(all);
        var added = 0;
        var sizes = new Dictionary<string, int>();
        foreach (var rs in all)
        {
            var proportion = toAdd != 0 ? Proportion(rs, d, toAdd, added) : 0;
            sizes[ObjectMeta.Name(rs)] = Replicas(rs) + proportion;
            added += proportion;
        }
        var operation = toAdd > 0 ? "up" : "down";
        for (var i = 0; i < all.Count; i++)
        {
            var rs = all[i];
            var name = ObjectMeta.Name(rs);
            if (i == 0 && toAdd != 0) sizes[name] = Math.Max(0, sizes[name] + toAdd - added);
            await ScaleAsync(ctx, rs, sizes[name], operation).ConfigureAwait(false);
        }
    }

    /// <summary>Deletes the oldest scaled-down ReplicaSets beyond spec.revisionHistoryLimit.</summary>
    private async Task CleanupAsync(SyncContext ctx, List<JsonObject> oldRSs)
    {
        if (ctx.D["spec"]?["revisionHistoryLimit"] is not JsonValue limitNode || !limitNode.TryGetValue<int>(out var limit)) return;
        var cleanable = oldRSs.Where(rs => !ObjectMeta.IsDeleting(rs)).ToList();
        var diff = cleanable.Count - limit;
        if (diff <= 0) return;
        var ordered = ByRevision(cleanable);
        for (var i = 0; i < diff; i++)
        {
            var rs = ordered[i];
            if (StatusInt(rs, "replicas") != 0 || Replicas(rs) != 0 || Generation(rs) > ((long?)rs["status"]?["observedGeneration"] ?? 0) || ObjectMeta.IsDeleting(rs)) continue;
            try
            {
                await _client.DeleteAsync(Workloads.ReplicaSets, ObjectMeta.Namespace(rs), ObjectMeta.Name(rs), preconditionUid: ObjectMeta.Uid(rs), ct: ctx.Ct).ConfigureAwait(false);
            }
            catch (ApiException e) when (e.IsNotFound)
            {
            }
        }
    }

    private async Task SyncDeploymentStatusAsync(SyncContext ctx, List<JsonObject?> allRSs, JsonObject? newRS)
    {
        var status = CalculateStatus(allRSs, newRS, ctx.D, _time.GetUtcNow());
        if (StatusEqual(ctx.D["status"], status)) return;
        ctx.D["status"] = status;
        await UpdateStatusAsync(ctx, ctx.Ct).ConfigureAwait(false);
    }

    /// <summary>Progressing=Unknown with DeploymentPaused or DeploymentResumed as spec.paused flips.</summary>
    private async Task CheckPausedConditionsAsync(SyncContext ctx)
    {
        var d = ctx.D;
        if (!HasProgressDeadline(d)) return;
        var cond = GetCondition(d["status"] as JsonObject, "Progressing");
        if ((string?)cond?["reason"] == TimedOutReason) return;
        var pausedCondExists = (string?)cond?["reason"] == PausedDeployReason;
        var now = _time.GetUtcNow();
        if (IsPaused(d) && !pausedCondExists)
            SetCondition(StatusOf(d), NewCondition("Progressing", "Unknown", PausedDeployReason, "Deployment is paused", now));
        else if (!IsPaused(d) && pausedCondExists)
            SetCondition(StatusOf(d), NewCondition("Progressing", "Unknown", ResumedDeployReason, "Deployment is resumed", now));
        else
            return;
        await UpdateStatusAsync(ctx, ctx.Ct).ConfigureAwait(false);
    }
}
