using System.Text.Json.Nodes;
using Anvil.Node.Pods;

namespace Anvil.Node.Tests;

/// <summary>When the pod worker leaves the stored status alone: what the server keeps of a status patch.</summary>
public sealed class PodStatusSameTests
{
    private static JsonObject Status(string ready, bool withProbeTime, string? message = null)
    {
        var condition = new JsonObject { ["lastTransitionTime"] = "2026-11-21T10:00:00Z", ["status"] = ready, ["type"] = "Ready" };
        if (withProbeTime) condition["lastProbeTime"] = null;
        if (message != null) condition["message"] = message;
        return new JsonObject
        {
            ["phase"] = "Running",
            ["conditions"] = new JsonArray(condition),
            ["containerStatuses"] = new JsonArray(new JsonObject { ["name"] = "c", ["state"] = new JsonObject { ["running"] = new JsonObject { ["startedAt"] = "2026-11-21T10:00:00Z" } } }),
        };
    }

    [Fact]
    public void NullsTheServerDroppedAreTheSameAsAbsent()
    {
        // As stored: the patch's lastProbeTime: null removed the field, and the server keeps fields the kubelet does not send.
        var stored = Status("True", withProbeTime: false);
        stored["qosClass"] = "BestEffort";
        Assert.True(PodWorker.Same(stored, Status("True", withProbeTime: true)));
    }

    [Fact]
    public void AChangedOrRemovedValueIsNotTheSame()
    {
        Assert.False(PodWorker.Same(Status("True", false), Status("False", true)));
        // A message the new status no longer has: the array is replaced by the patch, so it must be sent.
        Assert.False(PodWorker.Same(Status("False", false, "containers with unready status: [c]"), Status("False", true)));
        var stopped = Status("True", true);
        stopped["containerStatuses"]![0]!["state"] = new JsonObject { ["terminated"] = new JsonObject { ["exitCode"] = 0 } };
        Assert.False(PodWorker.Same(Status("True", false), stopped));
        Assert.False(PodWorker.Same(new JsonObject { ["phase"] = "Running" }, Status("True", true)));
    }
}
