using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Controllers.Job;

/// <summary>What controllers read off a pod (pkg/api/v1/pod, pkg/controller helpers).</summary>
internal static class PodFacts
{
    public static string Phase(JsonObject pod) => Str(pod["status"]?["phase"]) ?? "";

    public static bool IsFinished(JsonObject pod) => Phase(pod) is "Succeeded" or "Failed";

    /// <summary>FilterActivePods: not finished and not being deleted.</summary>
    public static bool IsActive(JsonObject pod) => !IsFinished(pod) && !ObjectMeta.IsDeleting(pod);

    /// <summary>CountTerminatingPods: being deleted but not finished yet.</summary>
    public static bool IsTerminating(JsonObject pod) => ObjectMeta.IsDeleting(pod) && !IsFinished(pod);

    public static bool IsReady(JsonObject pod) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Any(c => Str(c["type"]) == "Ready" && Str(c["status"]) == "True");

    public static bool IsScheduled(JsonObject pod) => !string.IsNullOrEmpty(Str(pod["spec"]?["nodeName"]));

    public static JsonObject? ControllerRef(JsonObject obj) =>
        ObjectMeta.OwnerReferences(obj).FirstOrDefault(r => Bool(r["controller"]) == true);

    public static bool IsControlledBy(JsonObject obj, string ownerUid) =>
        ControllerRef(obj) is { } r && Str(r["uid"]) == ownerUid;

    public static bool HasFinalizer(JsonObject obj, string finalizer) => ObjectMeta.Finalizers(obj).Contains(finalizer);

    public static DateTimeOffset CreationTime(JsonObject obj) =>
        ObjectMeta.ParseTime(obj["metadata"]?["creationTimestamp"]) ?? DateTimeOffset.MinValue;

    /// <summary>
    /// When a pod finished (the job controller's getFinishedTime): the latest container finishedAt, else the
    /// time Ready turned False, else the deletion time less its grace period, else its creation.
    /// </summary>
    public static DateTimeOffset FinishedTime(JsonObject pod)
    {
        var status = pod["status"];
        DateTimeOffset? latest = null;
        var statuses = (status?["containerStatuses"] as JsonArray ?? []).Concat(status?["initContainerStatuses"] as JsonArray ?? []);
        foreach (var cs in statuses.OfType<JsonObject>())
        {
            if (cs["state"]?["terminated"] is not JsonObject terminated) continue;
            if (ObjectMeta.ParseTime(terminated["finishedAt"]) is not { } at) { latest = null; break; }
            if (latest == null || at > latest) latest = at;
        }
        if (latest is { } l) return l;
        var ready = (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => Str(c["type"]) == "Ready");
        if (ready != null && Str(ready["status"]) == "False" && ObjectMeta.ParseTime(ready["lastTransitionTime"]) is { } readyFalse) return readyFalse;
        if (ObjectMeta.ParseTime(pod["metadata"]?["deletionTimestamp"]) is { } deleted)
            return deleted.AddSeconds(-(Int(pod["metadata"]?["deletionGracePeriodSeconds"]) ?? 0));
        return CreationTime(pod);
    }

    public static int RestartCount(JsonObject pod) =>
        (pod["status"]?["containerStatuses"] as JsonArray ?? []).Concat(pod["status"]?["initContainerStatuses"] as JsonArray ?? [])
            .OfType<JsonObject>().Sum(c => (int)(Int(c["restartCount"]) ?? 0));

    /// <summary>The batch.kubernetes.io/job-completion-index annotation, -1 when absent or not a number.</summary>
    public static int CompletionIndex(JsonObject pod) =>
        Str(pod["metadata"]?["annotations"]?[JobController.CompletionIndexAnnotation]) is { } s &&
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : -1;
}
