using System.Text.Json.Nodes;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

public sealed class ActivePodsRankingTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2024-06-01T00:00:00Z");

    private static JsonObject Pod(string name, string node = "", string phase = "Pending", bool ready = false, string created = "2024-05-01T00:00:00Z",
        string? readySince = null, int restarts = 0, string? cost = null)
    {
        var pod = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["uid"] = name, ["creationTimestamp"] = created },
            ["spec"] = new JsonObject(),
            ["status"] = new JsonObject
            {
                ["phase"] = phase,
                ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = readySince ?? created }),
                ["containerStatuses"] = new JsonArray(new JsonObject { ["restartCount"] = restarts }),
            },
        };
        if (node.Length > 0) pod["spec"]!["nodeName"] = node;
        if (cost != null) pod["metadata"]!["annotations"] = new JsonObject { [ActivePodsRanking.DeletionCostAnnotation] = cost };
        return pod;
    }

    public static TheoryData<string, JsonObject, JsonObject> FirstGoesFirst => new()
    {
        { "unassigned before assigned", Pod("a"), Pod("b", node: "n1", phase: "Running", ready: true) },
        { "pending before running", Pod("a", node: "n1"), Pod("b", node: "n1", phase: "Running") },
        { "unknown before running", Pod("a", node: "n1", phase: "Unknown"), Pod("b", node: "n1", phase: "Running") },
        { "not ready before ready", Pod("a", node: "n1", phase: "Running"), Pod("b", node: "n1", phase: "Running", ready: true) },
        { "lower deletion cost first", Pod("a", node: "n1", phase: "Running", ready: true, cost: "-5"), Pod("b", node: "n1", phase: "Running", ready: true) },
        { "ready for less time first", Pod("a", node: "n1", phase: "Running", ready: true, readySince: "2024-05-31T23:00:00Z"), Pod("b", node: "n1", phase: "Running", ready: true, readySince: "2024-05-01T00:00:00Z") },
        { "more restarts first", Pod("a", node: "n1", phase: "Running", ready: true, restarts: 3), Pod("b", node: "n1", phase: "Running", ready: true) },
        { "newer first", Pod("a", created: "2024-05-31T00:00:00Z"), Pod("b", created: "2024-01-01T00:00:00Z") },
    };

    [Theory]
    [MemberData(nameof(FirstGoesFirst))]
    public void Compare_OrdersAsUpstream(string why, JsonObject first, JsonObject second)
    {
        var ranking = new ActivePodsRanking(Now);

        Assert.True(ranking.Compare((first, 0), (second, 0)) < 0, why);
        Assert.True(ranking.Compare((second, 0), (first, 0)) > 0, why);
    }

    [Fact]
    public void PodsToDelete_DoubledUpOnANodeFirst()
    {
        var lonely = Pod("lonely", node: "n1", phase: "Running", ready: true);
        var crowded = Pod("crowded", node: "n2", phase: "Running", ready: true);
        var sibling = Pod("sibling", node: "n2", phase: "Running", ready: true);

        var victims = ActivePodsRanking.PodsToDelete([lonely, crowded], [lonely, crowded, sibling], 1, Now);

        Assert.Equal(["crowded"], victims.Select(ObjectMeta.Name));
    }

    [Fact]
    public void PodsToDelete_UnscheduledAndPendingBeforeRunning()
    {
        var pods = new List<JsonObject>
        {
            Pod("running-ready", node: "n1", phase: "Running", ready: true),
            Pod("pending-unscheduled"),
            Pod("running-notready", node: "n1", phase: "Running"),
            Pod("pending-scheduled", node: "n1"),
        };

        var victims = ActivePodsRanking.PodsToDelete(pods, pods, 3, Now);

        Assert.Equal(["pending-unscheduled", "pending-scheduled", "running-notready"], victims.Select(ObjectMeta.Name));
    }
}
