using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using static Anvil.Controllers.Deployment.DeploymentUtil;

namespace Anvil.Controllers.Deployment;

// The two strategies (rolling.go, recreate.go) and rollout status (progress.go upstream).
public sealed partial class DeploymentController
{
    private async Task RolloutRollingAsync(SyncContext ctx, List<JsonObject> rsList)
    {
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(ctx, rsList, true).ConfigureAwait(false);
        var allRSs = new List<JsonObject?>([.. oldRSs, newRS]);
        if (await ReconcileNewReplicaSetAsync(ctx, allRSs, newRS!).ConfigureAwait(false)
            || await ReconcileOldReplicaSetsAsync(ctx, allRSs, FilterActive(oldRSs), newRS!).ConfigureAwait(false))
        {
            await SyncRolloutStatusAsync(ctx, allRSs, newRS).ConfigureAwait(false);
            return;
        }
        if (ctx.D["status"] is JsonObject stored && DeploymentComplete(ctx.D, stored)) await CleanupAsync(ctx, oldRSs).ConfigureAwait(false);
        await SyncRolloutStatusAsync(ctx, allRSs, newRS).ConfigureAwait(false);
    }

    private async Task<bool> ReconcileNewReplicaSetAsync(SyncContext ctx, List<JsonObject?> allRSs, JsonObject newRS)
    {
        var d = ctx.D;
        if (Replicas(newRS) == Replicas(d)) return false;
        if (Replicas(newRS) > Replicas(d)) return await ScaleAndRecordAsync(ctx, newRS, Replicas(d)).ConfigureAwait(false);
        return await ScaleAndRecordAsync(ctx, newRS, NewRSNewReplicas(d, allRSs, newRS)).ConfigureAwait(false);
    }

    /// <summary>
    /// Scales old ReplicaSets down as far as maxUnavailable allows: first replicas that are not available
    /// anyway (they cost no availability), then available ones, oldest ReplicaSets first.
    /// </summary>
    private async Task<bool> ReconcileOldReplicaSetsAsync(SyncContext ctx, List<JsonObject?> allRSs, List<JsonObject> oldRSs, JsonObject newRS)
    {
        var d = ctx.D;
        if (SumReplicas(oldRSs) == 0) return false;
        var minAvailable = Replicas(d) - MaxUnavailable(d);
        var newRSUnavailable = Replicas(newRS) - StatusInt(newRS, "availableReplicas");
        var maxScaledDown = SumReplicas(allRSs) - minAvailable - newRSUnavailable;
        if (maxScaledDown <= 0) return false;

        var cleaned = 0;
        foreach (var rs in ByCreation(oldRSs))
        {
            if (cleaned >= maxScaledDown) break;
            var unhealthy = Replicas(rs) - StatusInt(rs, "availableReplicas");
            if (Replicas(rs) == 0 || unhealthy <= 0) continue;
            var count = Math.Min(maxScaledDown - cleaned, unhealthy);
            await ScaleAndRecordAsync(ctx, rs, Replicas(rs) - count).ConfigureAwait(false);
            cleaned += count;
        }

        var scaledDown = 0;
        var available = SumStatus(allRSs, "availableReplicas");
        if (available > minAvailable)
        {
            var total = available - minAvailable;
            foreach (var rs in ByCreation(oldRSs))
            {
                if (scaledDown >= total) break;
                if (Replicas(rs) == 0) continue;
                var count = Math.Min(Replicas(rs), total - scaledDown);
                await ScaleAndRecordAsync(ctx, rs, Replicas(rs) - count).ConfigureAwait(false);
                scaledDown += count;
            }
        }
        return cleaned + scaledDown > 0;
    }

    private async Task RolloutRecreateAsync(SyncContext ctx, List<JsonObject> rsList, Dictionary<string, List<JsonObject>> podMap)
    {
        var (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(ctx, rsList, false).ConfigureAwait(false);
        var scaledDown = false;
        foreach (var rs in FilterActive(oldRSs))
            if (await ScaleAndRecordAsync(ctx, rs, 0).ConfigureAwait(false)) scaledDown = true;
        if (scaledDown || OldPodsRunning(newRS, oldRSs, podMap))
        {
            await SyncRolloutStatusAsync(ctx, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
            return;
        }
        if (newRS == null) (newRS, oldRSs) = await AllReplicaSetsAndSyncRevisionAsync(ctx, rsList, true).ConfigureAwait(false);
        await ScaleAndRecordAsync(ctx, newRS!, Replicas(ctx.D)).ConfigureAwait(false);
        if (ctx.D["status"] is JsonObject stored && DeploymentComplete(ctx.D, stored)) await CleanupAsync(ctx, oldRSs).ConfigureAwait(false);
        await SyncRolloutStatusAsync(ctx, [.. oldRSs, newRS], newRS).ConfigureAwait(false);
    }

    /// <summary>Old ReplicaSets still report replicas, or a pod outside the new ReplicaSet has not finished.</summary>
    internal static bool OldPodsRunning(JsonObject? newRS, List<JsonObject> oldRSs, Dictionary<string, List<JsonObject>> podMap)
    {
        if (SumStatus(oldRSs, "replicas") > 0) return true;
        foreach (var (uid, pods) in podMap)
        {
            if (newRS != null && ObjectMeta.Uid(newRS) == uid) continue;
            if (pods.Any(p => ReplicaSet.PodUtil.Phase(p) is not ("Failed" or "Succeeded"))) return true;
        }
        return false;
    }

    /// <summary>Status plus the Progressing condition (complete, progressing or timed out) and ReplicaFailure.</summary>
    private async Task SyncRolloutStatusAsync(SyncContext ctx, List<JsonObject?> allRSs, JsonObject? newRS)
    {
        var d = ctx.D;
        var now = _time.GetUtcNow();
        var status = CalculateStatus(allRSs, newRS, d, now);
        if (!HasProgressDeadline(d)) RemoveCondition(status, "Progressing");
        var current = GetCondition(d["status"] as JsonObject, "Progressing");
        var complete = ((int?)status["replicas"] ?? 0) == ((int?)status["updatedReplicas"] ?? 0) && (string?)current?["reason"] == NewRSAvailableReason;
        if (HasProgressDeadline(d) && !complete)
        {
            var subject = newRS != null ? $"ReplicaSet {Quote(ObjectMeta.Name(newRS))}" : $"Deployment {Quote(ObjectMeta.Name(d))}";
            if (DeploymentComplete(d, status))
            {
                SetCondition(status, NewCondition("Progressing", "True", NewRSAvailableReason, $"{subject} has successfully progressed.", now));
            }
            else if (DeploymentProgressing(d, status))
            {
                // Progress refreshes lastUpdateTime even with the same reason, which SetCondition would not do.
                var condition = NewCondition("Progressing", "True", RSUpdatedReason, $"{subject} is progressing.", now);
                if (current != null)
                {
                    if ((string?)current["status"] == "True") condition["lastTransitionTime"] = current["lastTransitionTime"]?.DeepClone();
                    RemoveCondition(status, "Progressing");
                }
                SetCondition(status, condition);
            }
            else if (DeploymentTimedOut(d, status, now))
            {
                SetCondition(status, NewCondition("Progressing", "False", TimedOutReason, $"{subject} has timed out progressing.", now));
            }
        }

        if (ReplicaFailure(allRSs, newRS) is { } failure) SetCondition(status, failure);
        else RemoveCondition(status, "ReplicaFailure");

        if (StatusEqual(d["status"], status))
        {
            RequeueStuckDeployment(ctx, status, now);
            return;
        }
        d["status"] = status;
        await UpdateStatusAsync(ctx, ctx.Ct).ConfigureAwait(false);
    }

    /// <summary>The new ReplicaSet's ReplicaFailure condition (else any old one's), as a deployment condition.</summary>
    private static JsonObject? ReplicaFailure(List<JsonObject?> allRSs, JsonObject? newRS)
    {
        foreach (var rs in new[] { newRS }.Concat(allRSs).OfType<JsonObject>())
        {
            var c = GetCondition(rs["status"] as JsonObject, "ReplicaFailure");
            if (c == null) continue;
            return new JsonObject
            {
                ["type"] = "ReplicaFailure",
                ["status"] = c["status"]?.DeepClone(),
                ["lastUpdateTime"] = c["lastTransitionTime"]?.DeepClone(),
                ["lastTransitionTime"] = c["lastTransitionTime"]?.DeepClone(),
                ["reason"] = c["reason"]?.DeepClone(),
                ["message"] = c["message"]?.DeepClone(),
            };
        }
        return null;
    }

    /// <summary>Looks again when the progress deadline would pass, since nothing else would wake us then.</summary>
    private void RequeueStuckDeployment(SyncContext ctx, JsonObject status, DateTimeOffset now)
    {
        var d = ctx.D;
        var current = GetCondition(d["status"] as JsonObject, "Progressing");
        if (!HasProgressDeadline(d) || current == null) return;
        if (DeploymentComplete(d, status) || (string?)current["reason"] == TimedOutReason) return;
        var from = ObjectMeta.ParseTime(current["lastUpdateTime"]) ?? now;
        var after = from.AddSeconds(ProgressDeadlineSeconds(d)) - now;
        if (after < TimeSpan.FromSeconds(1)) Queue.AddRateLimited(ctx.Key);
        else Queue.AddAfter(ctx.Key, after);
    }
}
