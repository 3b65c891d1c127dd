using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using static Anvil.Scheduler.Tests.ClusterFixture;
using static Anvil.Scheduler.Tests.TestObjects;

namespace Anvil.Scheduler.Tests;

/// <summary>The scheduler against a real (in-process) API server; tests in this class run one after another.</summary>
public sealed class SchedulerIntegrationTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private const string CordonedMessage =
        "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";

    private KubeClient Api => cluster.Admin;

    private static JsonObject Create(JsonObject pod)
    {
        var copy = (JsonObject)pod.DeepClone();
        ((JsonObject)copy["metadata"]!).Remove("uid");
        return copy;
    }

    private Task<JsonObject> BoundAsync(string ns, string name) =>
        EventuallyAsync($"pod {ns}/{name} bound", async () =>
        {
            var pod = await Api.GetAsync(Pods, ns, name);
            return ((string?)pod["spec"]?["nodeName"] is { Length: > 0 } ? pod : null, pod.ToJsonString());
        });

    private async Task<JsonObject> EventAsync(string ns, string pod, string reason) =>
        await EventuallyAsync($"{reason} event for {pod}", async () =>
        {
            var list = await Api.ListAsync(Events, ns);
            var ev = (list["items"] as JsonArray ?? []).OfType<JsonObject>()
                .FirstOrDefault(e => (string?)e["involvedObject"]?["name"] == pod && (string?)e["reason"] == reason);
            return (ev, list.ToJsonString());
        });

    [Fact]
    public async Task PodsBindToTheFittingNode()
    {
        await cluster.SetNodesAsync(Node("small", cpu: "1"), Node("big", cpu: "4"));
        var ns = await cluster.NamespaceAsync("fit");
        await Api.CreateAsync(Pods, ns, Create(Pod("p", ns, cpu: "2")));
        var pod = await BoundAsync(ns, "p");
        Assert.Equal("big", (string?)pod["spec"]?["nodeName"]);
        var scheduled = (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Single(c => (string?)c["type"] == "PodScheduled");
        Assert.Equal("True", (string?)scheduled["status"]);
        var ev = await EventAsync(ns, "p", "Scheduled");
        Assert.Equal("Successfully assigned fit/p to big", (string?)ev["message"]);
        Assert.Equal("Normal", (string?)ev["type"]);
        Assert.Equal("default-scheduler", (string?)ev["source"]?["component"]);
    }

    [Fact]
    public async Task CordonKeepsNewPodsPendingUntilUncordon()
    {
        await cluster.SetNodesAsync(Node("n1"));
        var ns = await cluster.NamespaceAsync("cordon");
        await Api.PatchAsync(Nodes, "", "n1", JsonNode.Parse("""{"spec":{"unschedulable":true}}""")!, "application/strategic-merge-patch+json");
        await cluster.SchedulerSeesAsync(("n1", true));
        await Api.CreateAsync(Pods, ns, Create(Pod("p", ns)));

        var condition = await EventuallyAsync("PodScheduled=False", async () =>
        {
            var pod = await Api.GetAsync(Pods, ns, "p");
            var c = (pod["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == "PodScheduled");
            return (c, pod.ToJsonString());
        });
        Assert.Equal("False", (string?)condition["status"]);
        Assert.Equal("Unschedulable", (string?)condition["reason"]);
        Assert.Equal(CordonedMessage, (string?)condition["message"]);
        var ev = await EventAsync(ns, "p", "FailedScheduling");
        Assert.Equal(CordonedMessage, (string?)ev["message"]);
        Assert.Equal("Warning", (string?)ev["type"]);
        Assert.Equal("Pending", (string?)(await Api.GetAsync(Pods, ns, "p"))["status"]?["phase"]);
        Assert.Null((await Api.GetAsync(Pods, ns, "p"))["spec"]?["nodeName"]);

        await Api.PatchAsync(Nodes, "", "n1", JsonNode.Parse("""{"spec":{"unschedulable":null}}""")!, "application/strategic-merge-patch+json");
        var bound = await BoundAsync(ns, "p");
        Assert.Equal("n1", (string?)bound["spec"]?["nodeName"]);
        var after = (bound["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Single(c => (string?)c["type"] == "PodScheduled");
        Assert.Equal("True", (string?)after["status"]);
        Assert.Null(after["message"]);
    }

    [Fact]
    public async Task BindingASecondTimeIsAConflict()
    {
        var ns = await cluster.NamespaceAsync("binding");
        // Another scheduler's pod: ours leaves it alone.
        await Api.CreateAsync(Pods, ns, Create(Pod("p", ns, spec: new JsonObject { ["schedulerName"] = "other" })));
        JsonObject Binding(string node, string name = "p") => new()
        {
            ["apiVersion"] = "v1", ["kind"] = "Binding", ["metadata"] = new JsonObject { ["name"] = name },
            ["target"] = new JsonObject { ["kind"] = "Node", ["name"] = node },
        };
        var status = await Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "p", "binding"), Binding("n1"), "application/json", default);
        Assert.Equal("Success", (string?)status["status"]);
        Assert.Equal(201, (int?)status["code"]);
        var pod = await Api.GetAsync(Pods, ns, "p");
        Assert.Equal("n1", (string?)pod["spec"]?["nodeName"]);

        var e = await Assert.ThrowsAsync<ApiException>(() => Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "p", "binding"), Binding("n2"), "application/json", default));
        Assert.Equal(409, e.Code);
        Assert.Equal("Conflict", e.Reason);
        Assert.Equal("Operation cannot be fulfilled on pods/binding \"p\": pod p is already assigned to node \"n1\"", e.Message);

        var missing = await Assert.ThrowsAsync<ApiException>(() => Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "nope", "binding"), Binding("n1", "nope"), "application/json", default));
        Assert.Equal("pods \"nope\" not found", missing.Message);
        var invalid = await Assert.ThrowsAsync<ApiException>(() => Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "p", "binding"), Binding(""), "application/json", default));
        Assert.Equal((500, "target.name: Required value"), (invalid.Code, invalid.Message));

        var deleting = Create(Pod("d", ns, spec: new JsonObject { ["schedulerName"] = "other" }));
        deleting["metadata"]!["finalizers"] = new JsonArray("example.com/keep");
        await Api.CreateAsync(Pods, ns, deleting);
        await Api.DeleteAsync(Pods, ns, "d");
        var gone = await Assert.ThrowsAsync<ApiException>(() => Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "d", "binding"), Binding("n1", "d"), "application/json", default));
        Assert.Equal((409, "Operation cannot be fulfilled on pods/binding \"d\": pod d is being deleted, cannot be assigned to a host"), (gone.Code, gone.Message));
        await Api.PatchAsync(Pods, ns, "d", JsonNode.Parse("""{"metadata":{"finalizers":null}}""")!);

        var mismatch = await Assert.ThrowsAsync<ApiException>(() => Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "nope", "binding"), Binding("n1"), "application/json", default));
        Assert.Equal((400, "name in URL does not match name in Binding object"), (mismatch.Code, mismatch.Message));
    }

    private static JsonObject Eviction(string name, JsonObject? deleteOptions = null) => new()
    {
        ["apiVersion"] = "policy/v1", ["kind"] = "Eviction", ["metadata"] = new JsonObject { ["name"] = name },
        ["deleteOptions"] = deleteOptions ?? new JsonObject(),
    };

    /// <summary>A pod bound to a node with no agent, given a Running and Ready status by hand.</summary>
    private async Task RunningPodAsync(string ns, string name, JsonObject labels)
    {
        await Api.CreateAsync(Pods, ns, Create(Pod(name, ns, labels: labels, spec: new JsonObject { ["nodeName"] = "gone", ["schedulerName"] = "other" })));
        var pod = await Api.GetAsync(Pods, ns, name);
        var status = (JsonObject)pod["status"]!;
        status["phase"] = "Running";
        status["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = "True" });
        await Api.UpdateAsync(Pods, ns, name, pod, "status");
    }

    private async Task<JsonObject> BudgetAsync(string ns, string name, long allowed, long healthy)
    {
        return await EventuallyAsync($"pdb {name} status", async () =>
        {
            var pdb = await Api.GetAsync(Pdbs, ns, name);
            var s = pdb["status"];
            var ok = (long?)s?["disruptionsAllowed"] == allowed && (long?)s?["currentHealthy"] == healthy && (long?)s?["observedGeneration"] == 1;
            return (ok ? pdb : null, pdb.ToJsonString());
        });
    }

    [Fact]
    public async Task EvictionWithoutBudgetDeletesHonouringDeleteOptions()
    {
        var ns = await cluster.NamespaceAsync("evict-free");
        await RunningPodAsync(ns, "graceful", new JsonObject { ["app"] = "a" });
        await RunningPodAsync(ns, "now", new JsonObject { ["app"] = "a" });

        var status = await Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "graceful", "eviction"), Eviction("graceful"), "application/json", default);
        Assert.Equal("Success", (string?)status["status"]);
        // Bound to a node: the pod waits for its kubelet for the grace period.
        var marked = await Api.GetAsync(Pods, ns, "graceful");
        Assert.NotNull(marked["metadata"]?["deletionTimestamp"]);
        Assert.Equal(30, (long?)marked["metadata"]?["deletionGracePeriodSeconds"]);

        await Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "now", "eviction"), Eviction("now", new JsonObject { ["gracePeriodSeconds"] = 0 }), "application/json", default);
        var gone = await Assert.ThrowsAsync<ApiException>(() => Api.GetAsync(Pods, ns, "now"));
        Assert.True(gone.IsNotFound);
    }

    [Fact]
    public async Task EvictionRespectsTheDisruptionBudget()
    {
        var ns = await cluster.NamespaceAsync("evict-pdb");
        await RunningPodAsync(ns, "web-1", new JsonObject { ["app"] = "web" });
        await Api.CreateAsync(Pdbs, ns, new JsonObject
        {
            ["apiVersion"] = "policy/v1", ["kind"] = "PodDisruptionBudget", ["metadata"] = new JsonObject { ["name"] = "web" },
            ["spec"] = new JsonObject { ["minAvailable"] = 1, ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } } },
        });
        var pdb = await BudgetAsync(ns, "web", allowed: 0, healthy: 1);
        Assert.Equal(1, (long?)pdb["status"]?["desiredHealthy"]);
        Assert.Equal(1, (long?)pdb["status"]?["expectedPods"]);
        var condition = (pdb["status"]?["conditions"] as JsonArray)!.OfType<JsonObject>().Single();
        Assert.Equal(("DisruptionAllowed", "False", "InsufficientPods"), ((string?)condition["type"], (string?)condition["status"], (string?)condition["reason"]));

        var refused = await Assert.ThrowsAsync<ApiException>(() => Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "web-1", "eviction"), Eviction("web-1"), "application/json", default));
        Assert.Equal(429, refused.Code);
        Assert.Equal("TooManyRequests", refused.Reason);
        Assert.Equal("Cannot evict pod as it would violate the pod's disruption budget.", refused.Message);
        var cause = (refused.Status!["details"]?["causes"] as JsonArray)!.OfType<JsonObject>().Single();
        Assert.Equal("DisruptionBudget", (string?)cause["reason"]);
        Assert.Equal("The disruption budget web needs 1 healthy pods and has 1 currently", (string?)cause["message"]);
        Assert.Null((await Api.GetAsync(Pods, ns, "web-1"))["metadata"]?["deletionTimestamp"]);

        await RunningPodAsync(ns, "web-2", new JsonObject { ["app"] = "web" });
        await BudgetAsync(ns, "web", allowed: 1, healthy: 2);
        var ok = await Api.SendAsync(HttpMethod.Post, Pods.Path(ns, "web-1", "eviction"), Eviction("web-1", new JsonObject { ["gracePeriodSeconds"] = 0 }), "application/json", default);
        Assert.Equal("Success", (string?)ok["status"]);
        Assert.True((await Assert.ThrowsAsync<ApiException>(() => Api.GetAsync(Pods, ns, "web-1"))).IsNotFound);
        var spent = await Api.GetAsync(Pdbs, ns, "web");
        Assert.Equal(0, (long?)spent["status"]?["disruptionsAllowed"]);
    }

    [Fact]
    public async Task BudgetPercentagesScaleByTheControllersReplicas()
    {
        var ns = await cluster.NamespaceAsync("pdb-percent");
        var rs = await Api.CreateAsync(new ResourceRef("apps", "v1", "replicasets", true), ns, (JsonObject)JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web"},
             "spec":{"replicas":4,"selector":{"matchLabels":{"app":"web"}},
                     "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}
            """)!);
        foreach (var name in new[] { "web-a", "web-b", "web-c" })
        {
            await RunningPodAsync(ns, name, new JsonObject { ["app"] = "web" });
            var pod = await Api.GetAsync(Pods, ns, name);
            pod["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "apps/v1", ["kind"] = "ReplicaSet", ["name"] = "web", ["uid"] = ObjectMeta.Uid(rs), ["controller"] = true,
            });
            await Api.UpdateAsync(Pods, ns, name, pod);
        }
        await Api.CreateAsync(Pdbs, ns, new JsonObject
        {
            ["apiVersion"] = "policy/v1", ["kind"] = "PodDisruptionBudget", ["metadata"] = new JsonObject { ["name"] = "web" },
            ["spec"] = new JsonObject { ["maxUnavailable"] = "25%", ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "web" } } },
        });
        // 4 replicas expected, 25% of 4 = 1 may be unavailable: 3 desired, 3 healthy, no disruption left.
        var pdb = await BudgetAsync(ns, "web", allowed: 0, healthy: 3);
        Assert.Equal(4, (long?)pdb["status"]?["expectedPods"]);
        Assert.Equal(3, (long?)pdb["status"]?["desiredHealthy"]);
    }
}
