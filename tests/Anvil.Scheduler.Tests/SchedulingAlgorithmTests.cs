using System.Text.Json.Nodes;
using Anvil.Scheduler.Cache;
using Anvil.Scheduler.Framework;
using static Anvil.Scheduler.Tests.TestObjects;

namespace Anvil.Scheduler.Tests;

public sealed class SchedulingAlgorithmTests
{
    private static (SchedulerCache Cache, SchedulingAlgorithm Algorithm) Cluster(params JsonObject[] nodes)
    {
        var cache = new SchedulerCache();
        foreach (var n in nodes) cache.SetNode(n);
        return (cache, new SchedulingAlgorithm(new Random(1)));
    }

    public static TheoryData<string, JsonObject[], JsonObject, string> FailureCases => new()
    {
        {
            "cordoned",
            [Node("n1", unschedulable: true)], Pod("p"),
            "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling."
        },
        {
            "cpu and taints",
            [Node("n1", cpu: "1"), Node("n2", taints: Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule")), Node("n3", taints: Taint("node-role.kubernetes.io/control-plane", "", "NoSchedule"))],
            Pod("p", cpu: "2"),
            "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }. preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling."
        },
        {
            "cpu and memory on one node",
            [Node("n1", cpu: "1", memory: "1Gi")], Pod("p", cpu: "2", memory: "2Gi"),
            "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."
        },
        {
            "counts sort as strings",
            [.. Enumerable.Range(0, 10).Select(i => Node($"c{i}", unschedulable: true)), Node("r1", ready: false), Node("r2", ready: false)],
            Pod("p"),
            "0/12 nodes are available: 10 node(s) were unschedulable, 2 node(s) had untolerated taint {node.kubernetes.io/not-ready: }. preemption: 0/12 nodes are available: 12 Preemption is not helpful for scheduling."
        },
        {
            "preemptionPolicy Never",
            [Node("n1", cpu: "1")], Pod("p", cpu: "2", spec: new JsonObject { ["preemptionPolicy"] = "Never" }),
            "0/1 nodes are available: 1 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never."
        },
        {
            "node selector",
            [Node("n1"), Node("n2")], Pod("p", spec: new JsonObject { ["nodeSelector"] = new JsonObject { ["disk"] = "ssd" } }),
            "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
        },
        {
            "no nodes",
            [], Pod("p"),
            "no nodes available to schedule pods"
        },
    };

    [Theory]
    [MemberData(nameof(FailureCases))]
    public void FailedSchedulingMessages(string name, JsonObject[] nodes, JsonObject pod, string expected)
    {
        var (cache, algorithm) = Cluster(nodes);
        var result = algorithm.Schedule(PodInfo.From(pod), cache.Nodes);
        Assert.False(result.Succeeded, name);
        Assert.Equal(expected, result.FailureMessage);
        Assert.Equal(nodes.Length == 0 ? "SchedulerError" : "Unschedulable", result.FailureReason);
    }

    [Fact]
    public void PicksTheFittingNode()
    {
        var (cache, algorithm) = Cluster(Node("small", cpu: "1"), Node("big", cpu: "4"), Node("tainted", cpu: "8", taints: Taint("a", "b", "NoSchedule")));
        var result = algorithm.Schedule(PodInfo.From(Pod("p", cpu: "2")), cache.Nodes);
        Assert.Equal("big", result.Node?.Name);
    }

    [Fact]
    public void PrefersTheLeastAllocatedNode()
    {
        var (cache, algorithm) = Cluster(Node("busy"), Node("idle"));
        cache.Assume(PodInfo.From(Pod("existing", cpu: "3", memory: "6Gi")), "busy");
        for (var i = 0; i < 5; i++)
            Assert.Equal("idle", algorithm.Schedule(PodInfo.From(Pod($"p{i}", cpu: "100m")), cache.Nodes).Node?.Name);
    }

    [Fact]
    public void SpreadsReplicasOfOneController()
    {
        var (cache, algorithm) = Cluster(Node("n1"), Node("n2"), Node("n3"));
        var owner = new JsonArray(new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = "rs", ["uid"] = "rs-uid", ["controller"] = true });
        var placed = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var pod = Pod($"r{i}");
            pod["metadata"]!["ownerReferences"] = owner.DeepClone();
            var info = PodInfo.From(pod);
            var node = algorithm.Schedule(info, cache.Nodes).Node!.Name;
            cache.Assume(info, node);
            placed.Add(node);
        }
        Assert.Equal(["n1", "n2", "n3"], placed.Order().ToList());
    }

    [Fact]
    public void PreferredNodeAffinityWins()
    {
        var (cache, algorithm) = Cluster(Node("plain"), Node("ssd", labels: new JsonObject { ["disk"] = "ssd" }));
        var spec = (JsonObject)JsonNode.Parse("""
            {"affinity":{"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[
              {"weight":50,"preference":{"matchExpressions":[{"key":"disk","operator":"In","values":["ssd"]}]}}]}}}
            """)!;
        for (var i = 0; i < 5; i++)
            Assert.Equal("ssd", algorithm.Schedule(PodInfo.From(Pod($"p{i}", spec: spec.DeepClone().AsObject())), cache.Nodes).Node?.Name);
    }

    [Theory]
    [InlineData(false, "clean")]
    [InlineData(true, null)]
    public void PreferNoScheduleTaintsAreAvoided(bool tolerate, string? expected)
    {
        var (cache, algorithm) = Cluster(Node("clean"), Node("tainted", taints: Taint("spot", "true", "PreferNoSchedule")));
        var spec = new JsonObject();
        if (tolerate) spec["tolerations"] = new JsonArray(new JsonObject { ["key"] = "spot", ["operator"] = "Exists" });
        var chosen = Enumerable.Range(0, 20).Select(i => algorithm.Schedule(PodInfo.From(Pod($"p{i}", spec: spec.DeepClone().AsObject())), cache.Nodes).Node!.Name).ToHashSet();
        if (expected != null) Assert.Equal([expected], chosen);
        else Assert.Equal(["clean", "tainted"], chosen.Order().ToList()); // equal scores: ties broken at random
    }

    [Fact]
    public void AssumedPodsCountUntilForgotten()
    {
        var (cache, algorithm) = Cluster(Node("n1", cpu: "1"));
        var first = PodInfo.From(Pod("a", cpu: "800m"));
        cache.Assume(first, algorithm.Schedule(first, cache.Nodes).Node!.Name);
        Assert.False(algorithm.Schedule(PodInfo.From(Pod("b", cpu: "800m")), cache.Nodes).Succeeded);
        cache.Forget(first.Uid);
        Assert.True(algorithm.Schedule(PodInfo.From(Pod("b", cpu: "800m")), cache.Nodes).Succeeded);
    }

    [Fact]
    public void ConfirmedPodsStayWhenForgetIsCalled()
    {
        var (cache, _) = Cluster(Node("n1", cpu: "1"));
        var bound = Pod("a", cpu: "800m", spec: new JsonObject { ["nodeName"] = "n1" });
        var info = PodInfo.From(bound);
        cache.Assume(info, "n1");
        Assert.True(cache.IsAssumed(info.Uid));
        cache.AddOrUpdateBoundPod(info);
        Assert.False(cache.IsAssumed(info.Uid));
        cache.Forget(info.Uid);
        Assert.Equal(800, cache.Node("n1")!.Requested.MilliCpu);
        cache.RemovePod(info.Uid);
        Assert.Equal(0, cache.Node("n1")!.Requested.MilliCpu);
    }

    [Theory]
    [InlineData(50, 50)]
    [InlineData(100, 100)]
    [InlineData(1000, 420)]
    [InlineData(5000, 500)]
    [InlineData(10000, 500)]
    [InlineData(200, 100)]
    public void NumFeasibleNodesToFindIsAdaptive(int nodes, int expected) =>
        Assert.Equal(expected, new SchedulingAlgorithm(new Random(1)).NumFeasibleNodesToFind(nodes));

    [Fact]
    public void StopsFilteringOnceEnoughNodesFit()
    {
        var (cache, algorithm) = Cluster([.. Enumerable.Range(0, 1000).Select(i => Node($"n{i:D4}"))]);
        var result = algorithm.Schedule(PodInfo.From(Pod("p")), cache.Nodes);
        Assert.Equal(420, result.EvaluatedNodes);
        // The next cycle starts where this one stopped.
        Assert.Equal(420, algorithm.Schedule(PodInfo.From(Pod("q")), cache.Nodes).EvaluatedNodes);
    }

    [Fact]
    public void ScoresUseDefaultsForContainersWithoutRequests()
    {
        var info = PodInfo.From(Pod("p"));
        Assert.Equal(new Resources(0, 0), info.Requests);
        Assert.Equal(new Resources(Resources.DefaultMilliCpu, Resources.DefaultMemory), info.NonZeroRequests);
    }
}
