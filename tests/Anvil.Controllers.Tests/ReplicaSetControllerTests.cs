using System.Text.Json.Nodes;
using Anvil.Controllers.ReplicaSet;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class ReplicaSetControllerTests : ControllerTest
{
    private readonly ReplicaSetController _replicaSets;

    public ReplicaSetControllerTests(ApiServerFixture server) : base(server)
    {
        _replicaSets = new ReplicaSetController(Client, Log);
        Run(ct => _replicaSets.RunAsync(2, ct));
    }

    private static JsonObject ReplicaSet(string name, int replicas, int minReadySeconds = 0) => JsonNode.Parse($$$"""
        {"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"{{{name}}}"},
         "spec":{"replicas":{{{replicas}}},"minReadySeconds":{{{minReadySeconds}}},"selector":{"matchLabels":{"app":"{{{name}}}"}},
           "template":{"metadata":{"labels":{"app":"{{{name}}}"}},"spec":{"containers":[{"name":"c","image":"busybox"}]} } } }
        """)!.AsObject();

    private Task<JsonObject> CreateAsync(string ns, JsonObject rs) => Client.CreateAsync(Workloads.ReplicaSets, ns, rs);

    private Task<JsonObject> GetAsync(string ns, string name) => Client.GetAsync(Workloads.ReplicaSets, ns, name);

    private async Task<List<JsonObject>> ActivePodsAsync(string ns) => (await PodsAsync(ns)).Where(PodUtil.IsActive).ToList();

    private Task<List<JsonObject>> WaitForPodsAsync(string ns, int count) =>
        Eventually.UntilAsync($"{count} pods in {ns}", async () => await ActivePodsAsync(ns) is { } pods && pods.Count == count ? pods : null,
            async () => string.Join("\n", (await PodsAsync(ns)).Select(p => ObjectMeta.Name(p))));

    private Task<JsonObject> WaitForStatusAsync(string ns, string name, Func<JsonObject, bool> done) =>
        Eventually.UntilAsync($"status of {name}", async () => await GetAsync(ns, name) is { } rs && done(rs) ? rs : null,
            async () => (await GetAsync(ns, name))["status"]?.ToJsonString() ?? "");

    [Fact]
    public async Task Create_MakesPodsFromTemplate_WithControllerRef_StatusAndEvents()
    {
        var ns = await Server.NamespaceAsync("rs-create");
        var rs = await CreateAsync(ns, ReplicaSet("web", 3));

        var pods = await WaitForPodsAsync(ns, 3);

        foreach (var pod in pods)
        {
            Assert.Matches("^web-[bcdfghjklmnpqrstvwxz2456789]{5}$", ObjectMeta.Name(pod));
            Assert.Equal("web", (string?)pod["metadata"]!["labels"]!["app"]);
            var owner = Assert.Single(ObjectMeta.OwnerReferences(pod));
            Assert.Equal($$$"""{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"{{{ObjectMeta.Uid(rs)}}}","controller":true,"blockOwnerDeletion":true}""", owner.ToJsonString());
        }
        var status = await WaitForStatusAsync(ns, "web", r => (int?)r["status"]?["replicas"] == 3 && (long?)r["status"]?["observedGeneration"] == 1);
        Assert.Equal(3, (int?)status["status"]!["fullyLabeledReplicas"]);
        Assert.Null(status["status"]!["readyReplicas"]);

        await _replicaSets.Recorder.FlushAsync();
        var events = await Eventually.UntilAsync("3 SuccessfulCreate events", async () =>
            (await ListAsync(Workloads.Events, ns)).Where(e => (string?)e["reason"] == "SuccessfulCreate").ToList() is { Count: 3 } l ? l : null);
        Assert.Equal(pods.Select(p => $"Created pod: {ObjectMeta.Name(p)}").Order(), events.Select(e => (string?)e["message"]).Order());
        Assert.All(events, e =>
        {
            Assert.Equal(("Normal", "replicaset-controller", "ReplicaSet", "web"), ((string?)e["type"], (string?)e["source"]!["component"],
                (string?)e["involvedObject"]!["kind"], (string?)e["involvedObject"]!["name"]));
        });
    }

    [Fact]
    public async Task ScaleDown_DeletesNotReadyPodsFirst_ReadyCountsInStatus()
    {
        var ns = await Server.NamespaceAsync("rs-scale-down");
        await CreateAsync(ns, ReplicaSet("web", 3));
        var pods = await WaitForPodsAsync(ns, 3);
        var keep = pods.Take(2).Select(ObjectMeta.Name).ToList();
        foreach (var name in keep) await SimulatedKubelet.ReadyAsync(Client, ns, name);
        await WaitForStatusAsync(ns, "web", r => (int?)r["status"]?["readyReplicas"] == 2 && (int?)r["status"]?["availableReplicas"] == 2);

        await Client.PatchAsync(Workloads.ReplicaSets, ns, "web", JsonNode.Parse("""{"spec":{"replicas":2}}""")!);

        var left = await WaitForPodsAsync(ns, 2);
        Assert.Equal(keep.Order(), left.Select(ObjectMeta.Name).Order());
        await _replicaSets.Recorder.FlushAsync();
        var deleted = pods.Select(ObjectMeta.Name).Except(keep).Single();
        await Eventually.UntilAsync("SuccessfulDelete event", async () =>
            (await ListAsync(Workloads.Events, ns)).Any(e => (string?)e["reason"] == "SuccessfulDelete" && (string?)e["message"] == $"Deleted pod: {deleted}"));
    }

    [Fact]
    public async Task DeletedPod_IsReplaced()
    {
        var ns = await Server.NamespaceAsync("rs-replace");
        await CreateAsync(ns, ReplicaSet("web", 2));
        var pods = await WaitForPodsAsync(ns, 2);

        await Client.DeleteAsync(Workloads.Pods, ns, ObjectMeta.Name(pods[0]));

        var now = await Eventually.UntilAsync("a replacement pod", async () =>
            await ActivePodsAsync(ns) is { Count: 2 } l && l.All(p => ObjectMeta.Name(p) != ObjectMeta.Name(pods[0])) ? l : null);
        Assert.Contains(now, p => ObjectMeta.Name(p) == ObjectMeta.Name(pods[1]));
    }

    [Fact]
    public async Task Orphans_AreAdopted_NonMatchingPods_AreReleased()
    {
        var ns = await Server.NamespaceAsync("rs-adopt");
        await Client.CreateAsync(Workloads.Pods, ns, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"orphan","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}
            """)!.AsObject());
        var rs = await CreateAsync(ns, ReplicaSet("web", 1));

        var adopted = await Eventually.UntilAsync("orphan adopted", async () =>
            await Client.GetAsync(Workloads.Pods, ns, "orphan") is { } p && ControllerRef.IsControlledBy(p, rs) ? p : null);
        Assert.True((bool)ControllerRef.Of(adopted)!["blockOwnerDeletion"]!);
        await WaitForStatusAsync(ns, "web", r => (int?)r["status"]?["replicas"] == 1);
        Assert.Single(await ActivePodsAsync(ns));

        await Client.PatchAsync(Workloads.Pods, ns, "orphan", JsonNode.Parse("""{"metadata":{"labels":{"app":"other"}}}""")!);

        await Eventually.UntilAsync("pod released", async () =>
            ControllerRef.Of(await Client.GetAsync(Workloads.Pods, ns, "orphan")) == null);
        var pods = await WaitForPodsAsync(ns, 2);
        Assert.Single(pods, p => ControllerRef.IsControlledBy(p, rs));
    }

    [Fact]
    public async Task CreateForbidden_ReplicaFailureCondition_FailedCreateEvent_ClearsOnSuccess()
    {
        var ns = await Server.NamespaceAsync("rs-forbidden");
        Server.Deny = a => a.Namespace == ns && a.Resource == "pods" && a.Verb == "create";
        try
        {
            await CreateAsync(ns, ReplicaSet("web", 2));

            var rs = await WaitForStatusAsync(ns, "web", r => r["status"]?["conditions"] != null);
            var c = rs["status"]!["conditions"]![0]!;
            Assert.Equal(("ReplicaFailure", "True", "FailedCreate"), ((string?)c["type"], (string?)c["status"], (string?)c["reason"]));
            Assert.Equal($"pods is forbidden: User \"system:kube-controller-manager\" cannot create resource \"pods\" in API group \"\" in the namespace \"{ns}\": denied by test",
                (string?)c["message"]);
            await _replicaSets.Recorder.FlushAsync();
            await Eventually.UntilAsync("FailedCreate event", async () =>
                (await ListAsync(Workloads.Events, ns)).Any(e => (string?)e["reason"] == "FailedCreate" && (string?)e["type"] == "Warning"
                    && ((string?)e["message"])!.StartsWith("Error creating: pods is forbidden", StringComparison.Ordinal)));
        }
        finally
        {
            Server.Deny = _ => false;
        }

        await WaitForPodsAsync(ns, 2);
        await WaitForStatusAsync(ns, "web", r => r["status"]?["conditions"] == null && (int?)r["status"]?["replicas"] == 2);
    }

    [Fact]
    public async Task MinReadySeconds_OnlyPodsReadyLongEnoughAreAvailable()
    {
        var ns = await Server.NamespaceAsync("rs-minready");
        await CreateAsync(ns, ReplicaSet("web", 2, minReadySeconds: 3600));
        var pods = await WaitForPodsAsync(ns, 2);

        await SimulatedKubelet.ReadyAsync(Client, ns, ObjectMeta.Name(pods[0]), readySince: DateTimeOffset.UtcNow.AddHours(-2));
        await SimulatedKubelet.ReadyAsync(Client, ns, ObjectMeta.Name(pods[1]));

        var rs = await WaitForStatusAsync(ns, "web", r => (int?)r["status"]?["readyReplicas"] == 2);
        Assert.Equal(1, (int?)rs["status"]!["availableReplicas"]);
    }
}
