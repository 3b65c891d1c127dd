using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.NodeLifecycle;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

public sealed class NodeLifecycleControllerTests(ApiServerFixture server) : ControllerTest(server), IClassFixture<ApiServerFixture>
{
    private static readonly ResourceRef Nodes = NodeLifecycleController.Nodes;

    private async Task CreateNodeAsync(string name, string heartbeat)
    {
        await Client.CreateAsync(Nodes, "", Parse($$$"""{"apiVersion":"v1","kind":"Node","metadata":{"name":"{{{name}}}"}}"""));
        await PostStatusAsync(name, heartbeat);
    }

    private Task PostStatusAsync(string node, string heartbeat) =>
        Client.PatchAsync(Nodes, "", node, Parse($$$"""
            {"status":{"conditions":[{"type":"Ready","status":"True","reason":"KubeletReady","message":"kubelet is posting ready status",
              "lastHeartbeatTime":"{{{heartbeat}}}","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}
            """), subresource: "status");

    private async Task CreatePodAsync(string ns, string name, string node, string tolerations = "")
    {
        var pod = await Client.CreateAsync(Pods, ns, Parse($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}"},
             "spec":{"nodeName":"{{{node}}}",{{{tolerations}}}"containers":[{"name":"main","image":"busybox"}]}}
            """));
        await Client.PatchAsync(Pods, ns, name, Parse("""
            {"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True","lastProbeTime":null,"lastTransitionTime":"2026-01-01T00:00:00Z"}]}}
            """), subresource: "status");
    }

    private static string Taints(JsonObject node) =>
        string.Join(",", (node["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>().Select(t => $"{t["key"]}:{t["effect"]}"));

    [Fact]
    public async Task SilentNodeGoesUnknownIsTaintedAndItsPodsAreEvictedPerToleration()
    {
        var ns = await Server.NamespaceAsync("nodelifecycle");
        var node = "silent-" + ns;
        await CreateNodeAsync(node, "2026-01-01T00:00:00Z");
        await CreatePodAsync(ns, "defaulted", node);
        await CreatePodAsync(ns, "short", node, "\"tolerations\":[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\",\"tolerationSeconds\":0}],");
        await CreatePodAsync(ns, "forever", node, "\"tolerations\":[{\"key\":\"node.kubernetes.io/unreachable\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}],");
        // The DefaultTolerationSeconds admission plugin gave the plain pod five minutes.
        Assert.Equal(
            """[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]""",
            (await Client.GetAsync(Pods, ns, "defaulted"))["spec"]!["tolerations"]!.ToJsonString());

        var time = new ManualTimeProvider(DateTimeOffset.UtcNow);
        var controller = new NodeLifecycleController(Client, Log, time) { GracePeriod = TimeSpan.FromSeconds(40), MonitorPeriod = TimeSpan.FromSeconds(5) };
        Run(ct => controller.RunAsync(1, ct));
        // A first pass has seen the node (and scheduled the next): its grace period starts now.
        await Eventually.GetAsync("first pass", () => Task.FromResult((time.PendingTimers > 0, 0, "")));
        Assert.Equal("", Taints(await Client.GetAsync(Nodes, "", node)));

        time.Advance(TimeSpan.FromSeconds(41));
        var unknown = await WaitForAsync(Nodes, "", node, "node unknown and tainted", n => Condition(n, "Ready") == "Unknown" && Taints(n).Contains("NoExecute"));
        Assert.Equal("NodeStatusUnknown Kubelet stopped posting node status.", $"{Condition(unknown, "Ready", "reason")} {Condition(unknown, "Ready", "message")}");
        Assert.Equal("NodeStatusNeverUpdated Kubelet never posted node status.", $"{Condition(unknown, "MemoryPressure", "reason")} {Condition(unknown, "MemoryPressure", "message")}");
        Assert.Equal("2026-01-01T00:00:00Z", Condition(unknown, "Ready", "lastHeartbeatTime"));
        Assert.Equal("node.kubernetes.io/unreachable:NoSchedule,node.kubernetes.io/unreachable:NoExecute", Taints(unknown));
        Assert.All((unknown["spec"]!["taints"] as JsonArray)!.OfType<JsonObject>(), t => Assert.Equal(ObjectMeta.FormatTime(time.GetUtcNow()), (string?)t["timeAdded"]));

        // tolerationSeconds 0: evicted at once, with the taint manager's condition and event.
        var shortPod = await WaitForAsync(Pods, ns, "short", "short evicted", ObjectMeta.IsDeleting);
        Assert.Equal("True DeletionByTaintManager Taint manager: deleting due to NoExecute taint",
            $"{Condition(shortPod, "DisruptionTarget")} {Condition(shortPod, "DisruptionTarget", "reason")} {Condition(shortPod, "DisruptionTarget", "message")}");
        await Eventually.GetAsync("eviction event", async () =>
        {
            var events = await EventsAsync(ns, "short");
            return (events.Contains($"Normal TaintManagerEviction: Marking for deletion Pod {ns}/short"), 0, string.Join("\n", events));
        });
        var defaulted = await WaitForAsync(Pods, ns, "defaulted", "defaulted marked not ready", p => Condition(p, "Ready") == "False");
        Assert.False(ObjectMeta.IsDeleting(defaulted));

        // Five minutes later the defaulted pod goes too; the one tolerating forever stays.
        time.Advance(TimeSpan.FromSeconds(301));
        await WaitForAsync(Pods, ns, "defaulted", "defaulted evicted", ObjectMeta.IsDeleting);
        Assert.False(ObjectMeta.IsDeleting(await Client.GetAsync(Pods, ns, "forever")));

        // A heartbeat again: Ready comes back from the kubelet and the taints go.
        await PostStatusAsync(node, ObjectMeta.FormatTime(time.GetUtcNow()));
        var healthy = await WaitForAsync(Nodes, "", node, "taints removed", n => Taints(n) == "");
        Assert.Equal("True", Condition(healthy, "Ready"));
        await Client.DeleteAsync(Nodes, "", node);
    }

    [Fact]
    public async Task CordonAndNotReadyTaints()
    {
        var ns = await Server.NamespaceAsync("nodelifecycle-taints");
        var node = "cordoned-" + ns;
        await CreateNodeAsync(node, ObjectMeta.FormatTime(DateTimeOffset.UtcNow));
        var controller = new NodeLifecycleController(Client, Log) { GracePeriod = TimeSpan.FromHours(1) };
        Run(ct => controller.RunAsync(1, ct));

        await Client.PatchAsync(Nodes, "", node, Parse("""{"spec":{"unschedulable":true}}"""));
        await WaitForAsync(Nodes, "", node, "unschedulable taint", n => Taints(n) == "node.kubernetes.io/unschedulable:NoSchedule");
        await Client.PatchAsync(Nodes, "", node, Parse("""
            {"status":{"conditions":[{"type":"Ready","status":"False","reason":"KubeletNotReady","message":"runtime down",
              "lastHeartbeatTime":"2026-01-01T00:00:01Z","lastTransitionTime":"2026-01-01T00:00:01Z"}]}}
            """), subresource: "status");
        await WaitForAsync(Nodes, "", node, "not-ready taints", n => Taints(n) == "node.kubernetes.io/unschedulable:NoSchedule,node.kubernetes.io/not-ready:NoSchedule,node.kubernetes.io/not-ready:NoExecute");
        await Client.PatchAsync(Nodes, "", node, Parse("""{"spec":{"unschedulable":null}}"""));
        await PostStatusAsync(node, "2026-01-01T00:00:02Z");
        await WaitForAsync(Nodes, "", node, "no taints", n => Taints(n) == "");
        await Client.DeleteAsync(Nodes, "", node);
    }
}
