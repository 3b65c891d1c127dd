using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests.Harness;

/// <summary>
/// Stands in for the node agent, which does not exist yet: finishes pods by writing their status through
/// PATCH .../pods/x/status, as a kubelet would. Real runs come with the node agent.
/// </summary>
public static class SimulatedKubelet
{
    private static readonly ResourceRef Pods = new("", "v1", "pods", true);

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
