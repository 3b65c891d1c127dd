using System.Text.RegularExpressions;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// The scheduler, cordon and drain with the real kubectl. There is no node agent yet, so the node is a
/// Node object applied by hand ("fake-node-..."): pods are bound to it but never run, and drain uses
/// --grace-period=0 because no kubelet would finish a graceful deletion.
/// </summary>
public sealed class SchedulingTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private const string Node = "fake-node-1";

    private const string NodeYaml = $$"""
        apiVersion: v1
        kind: Node
        metadata:
          name: {{Node}}
          labels:
            kubernetes.io/hostname: {{Node}}
        status:
          capacity: {cpu: "4", memory: 8Gi, pods: "110"}
          allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
          conditions:
          - type: Ready
            status: "True"
            reason: KubeletReady
            message: fake node without an agent
        """;

    private Task WaitForNodeAsync(string ns, string pod, string node) =>
        EventuallyAsync($"pod {pod} on {node}", async () =>
        {
            var r = await K("get", "pod", pod, "-n", ns, "-o", "wide");
            var (header, rows) = Table.Parse(r.Stdout);
            var col = Array.IndexOf(header, "NODE");
            return (r.ExitCode == 0 && col >= 0 && rows.Length == 1 && rows[0][col] == node, r.ToString());
        });

    [Fact]
    public async Task Schedule_Cordon_Drain_Uncordon()
    {
        var ns = await NamespaceAsync("sched");
        (await KWithInput(NodeYaml, "apply", "-f", "-")).Succeeded();

        (await K("run", "p", "--image=busybox", "-n", ns)).Succeeded();
        await WaitForNodeAsync(ns, "p", Node);
        await EventuallyAsync("Scheduled event", async () =>
        {
            var d = await K("describe", "pod", "p", "-n", ns);
            return (Regex.IsMatch(d.Stdout, $@"Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned {ns}/p to {Node}\n"), d.ToString());
        });

        Assert.Equal([$"node/{Node} cordoned"], (await K("cordon", Node)).Succeeded().StdoutLines);
        Table.AssertTable(await K("get", "nodes"), ["NAME", "STATUS", "ROLES", "AGE", "VERSION"], [Node, "Ready,SchedulingDisabled", "<none>", Table.Age, ""]);

        (await K("run", "q", "--image=busybox", "-n", ns)).Succeeded();
        const string message = "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
        await EventuallyAsync("FailedScheduling event", async () =>
        {
            var d = await K("describe", "pod", "q", "-n", ns);
            return (Regex.IsMatch(d.Stdout, $@"Warning\s+FailedScheduling\s+.*?\s+default-scheduler\s+{Regex.Escape(message)}\n"), d.ToString());
        });
        Assert.Equal("Pending", await JsonPathAsync(ns, "pod", "q", "{.status.phase}"));
        Assert.Equal("", await JsonPathAsync(ns, "pod", "q", "{.spec.nodeName}"));
        Assert.Equal($"False Unschedulable {message}", await JsonPathAsync(ns, "pod", "q", "{range .status.conditions[?(@.type==\"PodScheduled\")]}{.status} {.reason} {.message}{end}"));

        var drain = await K("drain", Node, "--ignore-daemonsets", "--force", "--grace-period=0");
        drain.Succeeded();
        Assert.Contains("pod/p evicted", drain.StdoutLines);
        Assert.Contains($"node/{Node} drained", drain.StdoutLines);
        await EventuallyGoneAsync(ns, "pod", "p");

        Assert.Equal([$"node/{Node} uncordoned"], (await K("uncordon", Node)).Succeeded().StdoutLines);
        await WaitForNodeAsync(ns, "q", Node);
    }
}
