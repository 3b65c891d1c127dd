using System.Text.Json.Nodes;
using Anvil.Controllers.Deployment;
using Anvil.Controllers.ReplicaSet;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;
using static Anvil.Controllers.Deployment.DeploymentUtil;

namespace Anvil.Controllers.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class DeploymentControllerTests : ControllerTest
{
    private readonly DeploymentController _deployments;

    public DeploymentControllerTests(ApiServerFixture server) : base(server)
    {
        _deployments = new DeploymentController(Client, Log);
        var replicaSets = new ReplicaSetController(Client, Log);
        Run(ct => _deployments.RunAsync(2, ct));
        Run(ct => replicaSets.RunAsync(2, ct));
    }

    private static JsonObject Deployment(string name, int replicas, string image = "busybox", string strategy = """{"type":"RollingUpdate"}""", int? historyLimit = null) =>
        JsonNode.Parse($$$"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"{{{name}}}"},
             "spec":{"replicas":{{{replicas}}},"selector":{"matchLabels":{"app":"{{{name}}}"}},"strategy":{{{strategy}}},
               {{{(historyLimit is { } h ? $"\"revisionHistoryLimit\":{h}," : "")}}}
               "template":{"metadata":{"labels":{"app":"{{{name}}}"}},"spec":{"containers":[{"name":"c","image":"{{{image}}}"}]} } } }
            """)!.AsObject();

    private Task<JsonObject> GetAsync(string ns, string name) => Client.GetAsync(Workloads.Deployments, ns, name);

    // By revision: two ReplicaSets made within a second have equal creation timestamps.
    private async Task<List<JsonObject>> ReplicaSetsAsync(string ns) => ByRevision(await ListAsync(Workloads.ReplicaSets, ns));

    private Task SetImageAsync(string ns, string name, string image) =>
        Client.PatchAsync(Workloads.Deployments, ns, name, JsonNode.Parse($$$"""{"spec":{"template":{"spec":{"containers":[{"name":"c","image":"{{{image}}}"}]} } } }""")!);

    private async Task<string> DescribeAsync(string ns)
    {
        var rs = string.Join("\n", (await ReplicaSetsAsync(ns)).Select(r => $"{ObjectMeta.Name(r)} spec={Replicas(r)} status={r["status"]?.ToJsonString()} rev={Annotation(r, RevisionAnnotation)}"));
        var pods = string.Join("\n", (await PodsAsync(ns)).Select(p => $"{ObjectMeta.Name(p)} ready={PodUtil.IsReady(p)}"));
        return rs + "\n" + pods;
    }

    /// <summary>
    /// Waits for the rollout to complete the way <c>kubectl rollout status</c> decides it, with the simulated
    /// kubelet making new pods ready as they appear (so old ReplicaSets can scale down).
    /// </summary>
    private Task<JsonObject> RolloutCompleteAsync(string ns, string name, bool simulateKubelet = true) =>
        Eventually.UntilAsync($"rollout of {name}", async () =>
        {
            if (simulateKubelet) await SimulatedKubelet.ReadyAllAsync(Client, ns);
            var d = await GetAsync(ns, name);
            var s = d["status"];
            var done = ((long?)s?["observedGeneration"] ?? 0) >= Generation(d)
                && ((int?)s?["updatedReplicas"] ?? 0) == Replicas(d) && ((int?)s?["replicas"] ?? 0) == Replicas(d)
                && ((int?)s?["availableReplicas"] ?? 0) == Replicas(d)
                && (string?)GetCondition(s as JsonObject, "Progressing")?["reason"] == NewRSAvailableReason;
            return done ? d : null;
        }, () => DescribeAsync(ns));

    [Fact]
    public async Task Create_OneReplicaSetNamedByHash_WithRevisionAnnotations_AndPods()
    {
        var ns = await Server.NamespaceAsync("deploy-create");
        var d = await Client.CreateAsync(Workloads.Deployments, ns, Deployment("web", 2));

        var rs = await Eventually.UntilAsync("a replica set", async () => (await ReplicaSetsAsync(ns)).SingleOrDefault());
        var hash = (string?)rs["metadata"]!["labels"]![PodTemplateHashLabel];
        Assert.Equal(ComputeHash(d["spec"]!["template"], null), hash);
        Assert.Equal($"web-{hash}", ObjectMeta.Name(rs));
        Assert.Equal(hash, (string?)rs["spec"]!["selector"]!["matchLabels"]![PodTemplateHashLabel]);
        Assert.Equal(hash, (string?)rs["spec"]!["template"]!["metadata"]!["labels"]![PodTemplateHashLabel]);
        Assert.Equal(("1", "2", "3"), (Annotation(rs, RevisionAnnotation), Annotation(rs, DesiredReplicasAnnotation), Annotation(rs, MaxReplicasAnnotation)));
        Assert.True(ControllerRef.IsControlledBy(rs, d));
        Assert.Equal(2, Replicas(rs));

        await Eventually.UntilAsync("2 pods", async () => (await PodsAsync(ns)).Count == 2);
        var done = await RolloutCompleteAsync(ns, "web");
        Assert.Equal("1", Annotation(done, RevisionAnnotation));
        Assert.Equal("True", (string?)GetCondition(done["status"] as JsonObject, "Available")!["status"]);
        Assert.Equal($"ReplicaSet \"web-{hash}\" has successfully progressed.", (string?)GetCondition(done["status"] as JsonObject, "Progressing")!["message"]);

        await _deployments.Recorder.FlushAsync();
        var ev = await Eventually.UntilAsync("ScalingReplicaSet event", async () =>
            (await ListAsync(Workloads.Events, ns)).FirstOrDefault(e => (string?)e["reason"] == "ScalingReplicaSet"));
        Assert.Equal(($"Scaled up replica set web-{hash} to 2", "deployment-controller", "Deployment"),
            ((string?)ev["message"], (string?)ev["source"]!["component"], (string?)ev["involvedObject"]!["kind"]));
    }

    [Fact]
    public async Task RollingUpdate_NewReplicaSet_OldScaledDownAsNewBecomeAvailable()
    {
        var ns = await Server.NamespaceAsync("deploy-rolling");
        await Client.CreateAsync(Workloads.Deployments, ns, Deployment("web", 4));
        await RolloutCompleteAsync(ns, "web");
        var first = Assert.Single(await ReplicaSetsAsync(ns));

        await SetImageAsync(ns, "web", "busybox:1.36");

        // Without ready pods nothing old may go beyond maxUnavailable (25% of 4 = 1), and surge is 1.
        var during = await Eventually.UntilAsync("new replica set at surge", async () =>
            await ReplicaSetsAsync(ns) is { Count: 2 } l && Replicas(l[1]) == 2 && Replicas(l[0]) == 3 ? l : null, () => DescribeAsync(ns));
        Assert.Equal(ObjectMeta.Name(first), ObjectMeta.Name(during[0]));
        Assert.Equal("2", Annotation(during[1], RevisionAnnotation));
        Assert.Equal("5", Annotation(during[1], MaxReplicasAnnotation));

        var done = await RolloutCompleteAsync(ns, "web");
        var all = await ReplicaSetsAsync(ns);
        Assert.Equal((0, 4), (Replicas(all[0]), Replicas(all[1])));
        Assert.Equal("2", Annotation(done, RevisionAnnotation));
        Assert.Equal(4, (await PodsAsync(ns)).Count(p => ((string?)p["spec"]!["containers"]![0]!["image"]) == "busybox:1.36" && PodUtil.IsActive(p)));
    }

    [Fact]
    public async Task Rollback_ReusesOldReplicaSet_WithNextRevision()
    {
        var ns = await Server.NamespaceAsync("deploy-undo");
        var d = await Client.CreateAsync(Workloads.Deployments, ns, Deployment("web", 1));
        await RolloutCompleteAsync(ns, "web");
        var original = (JsonObject)d["spec"]!["template"]!.DeepClone();
        await SetImageAsync(ns, "web", "busybox:1.36");
        await RolloutCompleteAsync(ns, "web");

        // What kubectl rollout undo sends: the old ReplicaSet's template (hash label removed) as a JSON patch.
        var old = (await ReplicaSetsAsync(ns)).Single(r => Annotation(r, RevisionAnnotation) == "1");
        var template = WithoutHash(old["spec"]!["template"]);
        Assert.True(JsonNode.DeepEquals(original, template));
        await Client.PatchAsync(Workloads.Deployments, ns, "web",
            new JsonArray(new JsonObject { ["op"] = "replace", ["path"] = "/spec/template", ["value"] = template }), "application/json-patch+json");

        var done = await RolloutCompleteAsync(ns, "web");
        var all = await ReplicaSetsAsync(ns);
        Assert.Equal(2, all.Count);
        var reused = all.Single(r => ObjectMeta.Uid(r) == ObjectMeta.Uid(old));
        Assert.Equal(("3", "1", 1), (Annotation(reused, RevisionAnnotation), Annotation(reused, RevisionHistoryAnnotation), Replicas(reused)));
        Assert.Equal("3", Annotation(done, RevisionAnnotation));
    }

    [Fact]
    public async Task Paused_NoNewReplicaSet_UntilResumed()
    {
        var ns = await Server.NamespaceAsync("deploy-pause");
        await Client.CreateAsync(Workloads.Deployments, ns, Deployment("web", 1));
        await RolloutCompleteAsync(ns, "web");

        await Client.PatchAsync(Workloads.Deployments, ns, "web", JsonNode.Parse("""{"spec":{"paused":true}}""")!);
        var paused = await Eventually.UntilAsync("paused condition", async () =>
            await GetAsync(ns, "web") is { } x && (string?)GetCondition(x["status"] as JsonObject, "Progressing")?["reason"] == PausedDeployReason ? x : null);
        Assert.Equal(("Unknown", "Deployment is paused"), ((string?)GetCondition(paused["status"] as JsonObject, "Progressing")!["status"],
            (string?)GetCondition(paused["status"] as JsonObject, "Progressing")!["message"]));
        await SetImageAsync(ns, "web", "busybox:1.36");
        // The template change is observed (observedGeneration) without a rollout.
        await Eventually.UntilAsync("generation observed", async () =>
            await GetAsync(ns, "web") is { } x && (long?)x["status"]?["observedGeneration"] == Generation(x));
        Assert.Single(await ReplicaSetsAsync(ns));

        await Client.PatchAsync(Workloads.Deployments, ns, "web", JsonNode.Parse("""{"spec":{"paused":false}}""")!);
        await RolloutCompleteAsync(ns, "web");
        Assert.Equal(2, (await ReplicaSetsAsync(ns)).Count);
    }

    [Fact]
    public async Task Recreate_OldScaledToZeroBeforeNewStarts()
    {
        var ns = await Server.NamespaceAsync("deploy-recreate");
        await Client.CreateAsync(Workloads.Deployments, ns, Deployment("web", 2, strategy: """{"type":"Recreate"}"""));
        await RolloutCompleteAsync(ns, "web");

        await SetImageAsync(ns, "web", "busybox:1.36");

        await RolloutCompleteAsync(ns, "web");
        var all = await ReplicaSetsAsync(ns);
        Assert.Equal((0, 2), (Replicas(all[0]), Replicas(all[1])));
        await _deployments.Recorder.FlushAsync();
        var messages = await Eventually.UntilAsync("scaling events", async () =>
            (await ListAsync(Workloads.Events, ns)).Where(e => (string?)e["reason"] == "ScalingReplicaSet").Select(e => (string?)e["message"]).ToList() is { Count: 3 } l ? l : null);
        Assert.Contains($"Scaled down replica set {ObjectMeta.Name(all[0])} to 0 from 2", messages);
        Assert.Contains($"Scaled up replica set {ObjectMeta.Name(all[1])} to 2", messages);
    }

    [Fact]
    public async Task Scale_DuringRollout_IsProportional()
    {
        var ns = await Server.NamespaceAsync("deploy-proportional");
        await Client.CreateAsync(Workloads.Deployments, ns, Deployment("web", 10));
        await RolloutCompleteAsync(ns, "web");
        await SetImageAsync(ns, "web", "busybox:1.36");
        // No kubelet from here: the rollout stalls at old 8 (10 - 2 unavailable) and new 5 (13 - 8).
        await Eventually.UntilAsync("rollout stalled at surge", async () =>
            await ReplicaSetsAsync(ns) is { Count: 2 } l && Replicas(l[0]) == 8 && Replicas(l[1]) == 5, () => DescribeAsync(ns));

        await Client.PatchAsync(Workloads.Deployments, ns, "web", JsonNode.Parse("""{"spec":{"replicas":20}}""")!, subresource: "scale");

        // 25 allowed (20 + 25% surge): +12 split by 25/13 — old 8 → 15, new 5 → 10.
        await Eventually.UntilAsync("proportional sizes", async () =>
            await ReplicaSetsAsync(ns) is { Count: 2 } l && Replicas(l[0]) == 15 && Replicas(l[1]) == 10, () => DescribeAsync(ns));
    }

    [Fact]
    public async Task RevisionHistoryLimit_OldReplicaSetsCleanedUp()
    {
        var ns = await Server.NamespaceAsync("deploy-history");
        await Client.CreateAsync(Workloads.Deployments, ns, Deployment("web", 1, historyLimit: 1));
        await RolloutCompleteAsync(ns, "web");
        await SetImageAsync(ns, "web", "busybox:1.35");
        await RolloutCompleteAsync(ns, "web");
        await SetImageAsync(ns, "web", "busybox:1.36");
        await RolloutCompleteAsync(ns, "web");

        var left = await Eventually.UntilAsync("two replica sets left", async () => await ReplicaSetsAsync(ns) is { Count: 2 } l ? l : null, () => DescribeAsync(ns));
        Assert.Equal(["2", "3"], left.Select(r => Annotation(r, RevisionAnnotation)).Order());
    }

    [Fact]
    public async Task NoProgress_PastDeadline_ProgressDeadlineExceeded()
    {
        var ns = await Server.NamespaceAsync("deploy-deadline");
        var d = Deployment("web", 1);
        d["spec"]!["progressDeadlineSeconds"] = 1;
        await Client.CreateAsync(Workloads.Deployments, ns, d);

        // No kubelet: the pod never becomes ready, so the rollout stops progressing.
        var stuck = await Eventually.UntilAsync("timed out", async () =>
            await GetAsync(ns, "web") is { } x && (string?)GetCondition(x["status"] as JsonObject, "Progressing")?["reason"] == TimedOutReason ? x : null,
            () => DescribeAsync(ns));
        var c = GetCondition(stuck["status"] as JsonObject, "Progressing")!;
        var rs = Assert.Single(await ReplicaSetsAsync(ns));
        Assert.Equal(("False", $"ReplicaSet \"{ObjectMeta.Name(rs)}\" has timed out progressing."), ((string?)c["status"], (string?)c["message"]));
        Assert.Equal(("False", MinimumReplicasUnavailable), ((string?)GetCondition(stuck["status"] as JsonObject, "Available")!["status"],
            (string?)GetCondition(stuck["status"] as JsonObject, "Available")!["reason"]));
    }
}
