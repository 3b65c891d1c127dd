using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests.Harness;

/// <summary>
/// Stands in for the node agent in controller tests: starts and finishes pods by writing their status through
/// PATCH .../pods/x/status, as a kubelet would. Real runs are the E2E tests'.
/// </summary>
public static class SimulatedKubelet
{
    private static readonly ResourceRef Pods = new("", "v1", "pods", true);
    private static int _nextIp = 10;

    /// <summary>What a kubelet reports for a started pod: Running, Ready=True since <paramref name="readySince"/> (now), and a pod IP.</summary>
    public static Task<JsonObject> ReadyAsync(KubeClient client, string ns, string pod, string? ip = null, DateTimeOffset? readySince = null)
    {
        if (ip == null)
        {
            var n = Interlocked.Increment(ref _nextIp);
            ip = $"10.244.{n / 250}.{n % 250 + 2}";
        }
        var since = ObjectMeta.FormatTime(readySince ?? DateTimeOffset.UtcNow);
        return client.PatchAsync(Pods, ns, pod, new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["podIP"] = ip,
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip }),
                ["conditions"] = new JsonArray(
                    new JsonObject { ["type"] = "Ready", ["status"] = "True", ["lastTransitionTime"] = since },
                    new JsonObject { ["type"] = "ContainersReady", ["status"] = "True", ["lastTransitionTime"] = since }),
            },
        }, subresource: "status");
    }

    /// <summary>A pod that started but is not ready: Running with an IP.</summary>
    public static Task<JsonObject> RunningAsync(KubeClient client, string ns, string pod, string ip) =>
        client.PatchAsync(Pods, ns, pod, new JsonObject
        {
            ["status"] = new JsonObject
            {
                ["phase"] = "Running",
                ["podIP"] = ip,
                ["podIPs"] = new JsonArray(new JsonObject { ["ip"] = ip }),
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "False", ["lastTransitionTime"] = ObjectMeta.FormatTime(DateTimeOffset.UtcNow) }),
            },
        }, subresource: "status");

    /// <summary>Marks every pod of the namespace ready that is not yet.</summary>
    public static async Task ReadyAllAsync(KubeClient client, string ns)
    {
        foreach (var p in ((await client.ListAsync(Pods, ns))["items"] as JsonArray ?? []).OfType<JsonObject>())
            if (!PodUtil.IsReady(p) && !ObjectMeta.IsDeleting(p))
            {
                try { await ReadyAsync(client, ns, ObjectMeta.Name(p)); }
                catch (ApiException e) when (e.IsNotFound) { }
            }
    }

    public static Task<JsonObject> SucceedAsync(KubeClient client, JsonObject pod, DateTimeOffset? finishedAt = null) =>
        FinishAsync(client, pod, "Succeeded", 0, "Completed", finishedAt ?? DateTimeOffset.UtcNow);

    public static Task<JsonObject> FailAsync(KubeClient client, JsonObject pod, DateTimeOffset? finishedAt = null) =>
        FinishAsync(client, pod, "Failed", 1, "Error", finishedAt ?? DateTimeOffset.UtcNow);

    private static Task<JsonObject> FinishAsync(KubeClient client, JsonObject pod, string phase, int exitCode, string reason, DateTimeOffset finishedAt)
    {
        var at = ObjectMeta.FormatTime(finishedAt);
        var statuses = new JsonArray();
        foreach (var c in (pod["spec"]?["containers"] as JsonArray ?? []).OfType<JsonObject>())
        {
            statuses.Add(new JsonObject
            {
                ["name"] = (string?)c["name"],
                ["image"] = (string?)c["image"],
                ["imageID"] = "",
                ["ready"] = false,
                ["restartCount"] = 0,
                ["started"] = false,
                ["state"] = new JsonObject
                {
                    ["terminated"] = new JsonObject { ["exitCode"] = exitCode, ["reason"] = reason, ["startedAt"] = at, ["finishedAt"] = at },
                },
            });
        }
        var patch = new JsonObject { ["status"] = new JsonObject { ["phase"] = phase, ["containerStatuses"] = statuses } };
        return client.PatchAsync(Pods, ObjectMeta.Namespace(pod), ObjectMeta.Name(pod), patch, subresource: "status");
    }
}
