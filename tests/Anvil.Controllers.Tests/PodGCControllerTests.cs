using System.Text.Json.Nodes;
using Anvil.Controllers.PodGC;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

public sealed class PodGCControllerTests(ApiServerFixture server) : ControllerTest(server), IClassFixture<ApiServerFixture>
{
    private Task<JsonObject> CreatePodAsync(string ns, string name, string extraSpec = "", string extraMeta = "") =>
        Client.CreateAsync(Pods, ns, Parse("""
            {"apiVersion":"v1","kind":"Pod","metadata":{@@0@@"name":"@@1@@"},
             "spec":{@@2@@"containers":[{"name":"main","image":"busybox"}]}}
            """.Replace("@@0@@", $"{extraMeta}").Replace("@@1@@", $"{name}").Replace("@@2@@", $"{extraSpec}")));

    [Fact]
    public async Task DeletesTheOldestTerminatedPodsBeyondTheThreshold()
    {
        var ns = await Server.NamespaceAsync("podgc-threshold");
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            var pod = await CreatePodAsync(ns, name);
            await SimulatedKubelet.SucceedAsync(Client, pod);
        }
        await CreatePodAsync(ns, "running");
        var controller = new PodGCController(Client, Log, new ManualTimeProvider(DateTimeOffset.UtcNow)) { TerminatedPodThreshold = 2 };
        Run(ct => controller.RunAsync(1, ct));

        var left = await Eventually.GetAsync("two terminated pods left", async () =>
        {
            var names = (await ListAsync(Pods, ns)).Select(ObjectMeta.Name).Order().ToList();
            return (names.Count == 3, names, string.Join(",", names));
        });
        Assert.Equal(["c", "d", "running"], left);
    }

    [Fact]
    public async Task OrphanedPodsOnMissingNodesAreFailedAndDeleted()
    {
        var ns = await Server.NamespaceAsync("podgc-orphans");
        await Client.CreateAsync(PodGCController.Nodes, "", Parse("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"present"}}"""));
        // A finalizer keeps the orphan visible after its deletion, to see what the collector wrote.
        await CreatePodAsync(ns, "orphan", "\"nodeName\":\"vanished\",", "\"finalizers\":[\"test.anvil.dev/hold\"],");
        await CreatePodAsync(ns, "housed", "\"nodeName\":\"present\",");
        var controller = new PodGCController(Client, Log, new ManualTimeProvider(DateTimeOffset.UtcNow)) { Quarantine = TimeSpan.Zero };
        Run(ct => controller.RunAsync(1, ct));

        var orphan = await WaitForAsync(Pods, ns, "orphan", "orphan deleted", ObjectMeta.IsDeleting);
        Assert.Equal("Failed", (string?)orphan["status"]?["phase"]);
        Assert.Equal("True", Condition(orphan, "DisruptionTarget"));
        Assert.Equal("DeletionByPodGC", Condition(orphan, "DisruptionTarget", "reason"));
        Assert.Equal("PodGC: node no longer exists", Condition(orphan, "DisruptionTarget", "message"));
        Assert.Equal(0, (int?)orphan["metadata"]?["deletionGracePeriodSeconds"]);
        Assert.False(ObjectMeta.IsDeleting(await Client.GetAsync(Pods, ns, "housed")));

        await Client.PatchAsync(Pods, ns, "orphan", Parse("""{"metadata":{"finalizers":null}}"""));
        await WaitGoneAsync(Pods, ns, "orphan");
    }
}
