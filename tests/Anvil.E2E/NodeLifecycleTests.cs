using System.Text.RegularExpressions;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Cordon, drain and uncordon of the real node (its agent runs the pods), with the scheduler and the node lifecycle
/// controller: the unschedulable taint, FailedScheduling while cordoned, a Deployment's pods evicted by drain and
/// recreated Pending, then everything Running after uncordon. Skipped (passing with a note) when not root or runc is missing.
/// </summary>
public sealed class NodeLifecycleTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);
    private static string Node => AnvilNodeServer.NodeName;

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    /// <summary>Pods of the namespace as (name, READY, STATUS, NODE) rows.</summary>
    private async Task<List<string[]>> PodsAsync(string ns)
    {
        var r = (await K("get", "pods", "-n", ns, "-o", "wide")).Succeeded();
        if (r.Stdout.Length == 0) return [];
        var (header, rows) = Table.Parse(r.Stdout);
        int Col(string name) => Array.IndexOf(header, name);
        return rows.Select(row => new[] { row[Col("NAME")], row[Col("READY")], row[Col("STATUS")], row[Col("NODE")] }).ToList();
    }

    private Task WaitPodsAsync(string ns, string what, Func<List<string[]>, bool> done) =>
        EventuallyAsync(what, async () =>
        {
            var pods = await PodsAsync(ns);
            return (done(pods), string.Join("\n", pods.Select(p => string.Join(' ', p))));
        }, RunTimeout);

    /// <summary>
    /// A Node object without an agent behind it stops "posting status" from the start: after the grace period
    /// (40 s) the controller marks it Unknown and taints it unreachable. Its own NoSchedule taint keeps the
    /// scheduler from placing this class's other pods there.
    /// </summary>
    [Fact]
    public async Task SilentNodeBecomesNotReadyAndUnreachable()
    {
        var name = "silent-" + Guid.NewGuid().ToString("N")[..6];
        try
        {
            (await KWithInput($$"""
                apiVersion: v1
                kind: Node
                metadata: {name: {{name}}}
                spec:
                  taints: [{key: example.com/fake, effect: NoSchedule}]
                status:
                  capacity: {cpu: "4", memory: 8Gi, pods: "110"}
                  allocatable: {cpu: "4", memory: 8Gi, pods: "110"}
                  conditions:
                  - {type: Ready, status: "True", reason: KubeletReady, message: fake node without an agent}
                """, "apply", "-f", "-")).Succeeded();
            await EventuallyAsync("node NotReady", async () =>
            {
                var r = await K("get", "node", name, "--no-headers");
                return (r.ExitCode == 0 && r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] == "NotReady", r.ToString());
            }, RunTimeout);
            await EventuallyAsync("unreachable taints", async () =>
            {
                var d = (await K("describe", "node", name)).Succeeded().Stdout;
                // (describe lists the taints in its own order, the first on the Taints: line.)
                var done = Regex.IsMatch(d, @"(Taints:| ) +node\.kubernetes\.io/unreachable:NoExecute\n")
                    && Regex.IsMatch(d, @"(Taints:| ) +node\.kubernetes\.io/unreachable:NoSchedule\n")
                    && Regex.IsMatch(d, @"\n  Ready\s+Unknown\s+.*\s+NodeStatusUnknown\s+Kubelet stopped posting node status\.\n")
                    && Regex.IsMatch(d, @"\n  MemoryPressure\s+Unknown\s+.*\s+NodeStatusNeverUpdated\s+Kubelet never posted node status\.\n");
                return (done, d);
            });
        }
        finally
        {
            await K("delete", "node", name, "--wait=false");
        }
    }

    [Fact]
    public async Task Cordon_Drain_Uncordon()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("lifecycle");
        try
        {
            await CreateAsync(ns, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: web}
                spec:
                  replicas: 2
                  selector: {matchLabels: {app: web}}
                  template:
                    metadata: {labels: {app: web}}
                    spec:
                      terminationGracePeriodSeconds: 1
                      containers:
                      - name: main
                        image: busybox
                        command: ["sleep", "3600"]
                        volumeMounts: [{name: scratch, mountPath: /scratch}]
                      volumes:
                      - name: scratch
                        emptyDir: {}
                """);
            await WaitPodsAsync(ns, "2 web pods Running on the node", pods => pods.Count == 2 && pods.All(p => p[1] == "1/1" && p[2] == "Running" && p[3] == Node));
            var before = (await PodsAsync(ns)).Select(p => p[0]).ToHashSet();

            Assert.Equal([$"node/{Node} cordoned"], (await K("cordon", Node)).Succeeded().StdoutLines);
            var nodes = await K("get", "node", Node, "--no-headers");
            Assert.Equal("Ready,SchedulingDisabled", nodes.Succeeded().Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
            // The node lifecycle controller mirrors spec.unschedulable as a taint.
            await EventuallyAsync("unschedulable taint", async () =>
            {
                var d = (await K("describe", "node", Node)).Succeeded().Stdout;
                return (Regex.IsMatch(d, @"\nTaints:\s+node.kubernetes.io/unschedulable:NoSchedule\n"), d);
            });

            (await K("run", "q", "-n", ns, "--image=busybox", "--overrides={\"spec\":{\"terminationGracePeriodSeconds\":1}}", "--", "sleep", "3600")).Succeeded();
            const string message = "0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
            await EventuallyAsync("FailedScheduling event", async () =>
            {
                var d = await K("describe", "pod", "q", "-n", ns);
                return (Regex.IsMatch(d.Stdout, $@"Warning\s+FailedScheduling\s+.*?\s+default-scheduler\s+{Regex.Escape(message)}\n"), d.ToString());
            });
            Assert.Equal("Pending", await JsonPathAsync(ns, "pod", "q", "{.status.phase}"));

            var drain = await K("drain", Node, "--ignore-daemonsets", "--delete-emptydir-data", "--timeout=90s");
            drain.Succeeded();
            foreach (var pod in before)
            {
                Assert.Contains($"evicting pod {ns}/{pod}", drain.Stderr + drain.Stdout);
                Assert.Contains($"pod/{pod} evicted", drain.StdoutLines);
            }
            Assert.Contains($"node/{Node} drained", drain.StdoutLines);
            // The ReplicaSet replaces them, but they cannot be placed while the node is cordoned.
            await WaitPodsAsync(ns, "2 new web pods Pending", pods =>
            {
                var web = pods.Where(p => p[0].StartsWith("web-", StringComparison.Ordinal)).ToList();
                return web.Count == 2 && web.All(p => !before.Contains(p[0]) && p[2] == "Pending" && p[3] == "<none>");
            });

            Assert.Equal([$"node/{Node} uncordoned"], (await K("uncordon", Node)).Succeeded().StdoutLines);
            await WaitPodsAsync(ns, "3 pods Running", pods => pods.Count == 3 && pods.All(p => p[1] == "1/1" && p[2] == "Running" && p[3] == Node));
            await EventuallyAsync("taint gone", async () =>
            {
                var d = (await K("describe", "node", Node)).Succeeded().Stdout;
                return (Regex.IsMatch(d, @"\nTaints:\s+<none>\n"), d);
            });
        }
        finally
        {
            await K("uncordon", Node);
            await K("delete", "namespace", ns, "--wait=false");
        }
    }
}
