using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.ReplicaSet;

/// <summary>Pod predicates of k8s.io/kubernetes/pkg/api/v1/pod and pkg/controller (IsPodReady, IsPodAvailable, IsPodActive).</summary>
public static class PodUtil
{
    public static string Phase(JsonObject pod) => (string?)pod["status"]?["phase"] ?? "";

    /// <summary>Not finished and not being deleted (controller.IsPodActive).</summary>
    public static bool IsActive(JsonObject pod) =>
        Phase(pod) is not ("Succeeded" or "Failed") && !ObjectMeta.IsDeleting(pod);

    public static JsonObject? Condition(JsonObject pod, string type) =>
        (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type);

    public static bool IsReady(JsonObject pod) => (string?)Condition(pod, "Ready")?["status"] == "True";

    /// <summary>Ready for at least <paramref name="minReadySeconds"/> (by the Ready condition's lastTransitionTime).</summary>
    public static bool IsAvailable(JsonObject pod, int minReadySeconds, DateTimeOffset now)
    {
        var c = Condition(pod, "Ready");
        if ((string?)c?["status"] != "True") return false;
        if (minReadySeconds == 0) return true;
        var since = ObjectMeta.ParseTime(c!["lastTransitionTime"]);
        return since != null && since.Value.AddSeconds(minReadySeconds) < now;
    }

    public static string NodeName(JsonObject pod) => (string?)pod["spec"]?["nodeName"] ?? "";

    /// <summary>The pod's IP (status.podIP, else the first of status.podIPs), or "".</summary>
    public static string PodIp(JsonObject pod)
    {
        var ip = (string?)pod["status"]?["podIP"] ?? "";
        if (ip.Length > 0) return ip;
        return (pod["status"]?["podIPs"] as JsonArray ?? []).OfType<JsonObject>().Select(p => (string?)p["ip"] ?? "").FirstOrDefault(s => s.Length > 0) ?? "";
    }

    public static int RestartCount(JsonObject pod) =>
        (pod["status"]?["containerStatuses"] as JsonArray ?? []).OfType<JsonObject>().Sum(c => (int?)c["restartCount"] ?? 0);
}
