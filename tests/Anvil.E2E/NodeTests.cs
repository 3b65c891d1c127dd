using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Pods run by the node agent as real runc containers, driven by kubectl. There is no scheduler yet, so the
/// pods name the node (spec.nodeName) themselves. Skipped (passing with a note) when not root or runc is missing.
/// </summary>
public sealed class NodeTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    private static string Overrides => "{\"spec\":{\"nodeName\":\"" + AnvilNodeServer.NodeName + "\",\"terminationGracePeriodSeconds\":1}}";

    private async Task<string> StatusColumnAsync(string ns, string pod)
    {
        var r = (await K("get", "pod", pod, "-n", ns, "--no-headers")).Succeeded();
        var cols = r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return cols.Length > 2 ? cols[2] : r.Stdout;
    }

    private Task WaitStatusAsync(string ns, string pod, string status) =>
        EventuallyAsync($"pod {pod} {status}", async () =>
        {
            var s = await StatusColumnAsync(ns, pod);
            return (s == status, s + "\n" + (await K("get", "pod", pod, "-n", ns, "-o", "yaml")).Stdout);
        }, RunTimeout);

    [Fact]
    public async Task TheNodeRegistersWithItsRoleAndLabels()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        await EventuallyAsync("node Ready", async () =>
        {
            var r = await K("get", "nodes");
            return (r.ExitCode == 0 && r.Stdout.Contains(" Ready ", StringComparison.Ordinal), r.Stdout + r.Stderr);
        }, RunTimeout);
        Table.AssertTable(await K("get", "nodes"), ["NAME", "STATUS", "ROLES", "AGE", "VERSION"],
            [AnvilNodeServer.NodeName, "Ready", "control-plane", Table.Age, Table.Re(@"v1\.32\.\d+")]);
        var labels = (await K("get", "node", AnvilNodeServer.NodeName, "-o", "jsonpath={.metadata.labels}")).Succeeded().Stdout;
        Assert.Contains($"\"kubernetes.io/hostname\":\"{AnvilNodeServer.NodeName}\"", labels);
        Assert.Contains("\"kubernetes.io/os\":\"linux\"", labels);
        Assert.Contains("\"kubernetes.io/arch\":\"", labels);

        // The kubelet's start events, in default, found by kubectl describe node (which also looks for uid = name).
        await EventuallyAsync("the node's start events", async () =>
        {
            var r = await K("get", "events", "-n", "default", "--field-selector", $"involvedObject.kind=Node,involvedObject.name={AnvilNodeServer.NodeName}",
                "-o", "jsonpath={range .items[*]}{.reason} {end}");
            var reasons = r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
            return (reasons.IsSupersetOf(["Starting", "NodeAllocatableEnforced", "NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeReady"]), r.ToString());
        }, RunTimeout);
        var described = (await K("describe", "node", AnvilNodeServer.NodeName)).Succeeded().Stdout;
        Assert.Matches(@"\n  Normal  Starting +\S+ +kubelet +Starting kubelet\.\n", described);
        Assert.Matches($@"\n  Normal  NodeReady +\S+ +kubelet +Node {AnvilNodeServer.NodeName} status is now: NodeReady\n", described);
    }

    [Fact]
    public async Task RunCompletes()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("node-run");
        (await K("run", "p", "-n", ns, "--image=busybox", "--restart=Never", "--overrides=" + Overrides, "--", "sh", "-c", "echo hello; sleep 1")).Succeeded();
        await WaitStatusAsync(ns, "p", "Completed");
        Assert.Equal("Succeeded 0 Completed", await JsonPathAsync(ns, "pod", "p",
            "{.status.phase} {.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].state.terminated.reason}"));
        Assert.Equal("0/1", (await K("get", "pod", "p", "-n", ns, "--no-headers")).Succeeded().Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]);
        // kubectl logs reads the container's CRI log through the API server.
        Assert.Equal("hello\n", (await K("logs", "p", "-n", ns)).Succeeded().Stdout);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z hello\n$", (await K("logs", "p", "-n", ns, "--timestamps")).Succeeded().Stdout);
        // -f on a finished container prints what there is and returns.
        Assert.Equal("hello\n", (await K("logs", "-f", "p", "-n", ns)).Succeeded().Stdout);
        Assert.Equal("error: container nope is not valid for pod p", (await K("logs", "p", "-n", ns, "-c", "nope")).Failed().StderrLines.LastOrDefault());
        Assert.Equal("pod \"p\" deleted\n", (await K("delete", "pod", "p", "-n", ns)).Succeeded().Stdout);
    }

    [Fact]
    public async Task LogsFollowStreamsUntilTheContainerEnds()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("node-follow");
        (await K("run", "talk", "-n", ns, "--image=busybox", "--restart=Never", "--overrides=" + Overrides, "--",
            "sh", "-c", "echo one; sleep 1; echo two; sleep 1; echo three")).Succeeded();
        await WaitStatusAsync(ns, "talk", "Running");

        // Started while the container runs: kubectl follows and returns when it ends.
        var r = (await K("logs", "-f", "talk", "-n", ns)).Succeeded();

        Assert.Equal("one\ntwo\nthree\n", r.Stdout);
    }

    [Fact]
    public async Task ExitOneIsError()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("node-error");
        (await K("run", "bad", "-n", ns, "--image=busybox", "--restart=Never", "--overrides=" + Overrides, "--", "sh", "-c", "exit 1")).Succeeded();
        await WaitStatusAsync(ns, "bad", "Error");
        Assert.Equal("Failed 1", await JsonPathAsync(ns, "pod", "bad", "{.status.phase} {.status.containerStatuses[0].state.terminated.exitCode}"));
        (await K("delete", "pod", "bad", "-n", ns)).Succeeded();
    }

    [Fact]
    public async Task UnknownImageImagePullBackOff()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("node-noimage");
        (await K("run", "img", "-n", ns, "--image=registry.example/none:1", "--restart=Never", "--overrides=" + Overrides)).Succeeded();
        await WaitStatusAsync(ns, "img", "ImagePullBackOff");
        // As the kubelet records a failed pull: the attempt, its failure, then the back-off.
        await EventuallyAsync("the pull events", async () =>
        {
            var r = await K("get", "events", "-n", ns, "--field-selector", "involvedObject.name=img", "-o", "jsonpath={range .items[*]}{.reason}:{.message}{\"\\n\"}{end}");
            var lines = r.StdoutLines;
            return (lines.Contains("Pulling:Pulling image \"registry.example/none:1\"") && lines.Contains("Failed:Error: ErrImagePull")
                && lines.Contains("BackOff:Back-off pulling image \"registry.example/none:1\"") && lines.Contains("Failed:Error: ImagePullBackOff")
                && lines.Any(l => l.StartsWith("Failed:Failed to pull image \"registry.example/none:1\": image \"registry.example/none:1\" is not in this node's image store", StringComparison.Ordinal)),
                r.ToString());
        }, RunTimeout);
        (await K("delete", "pod", "img", "-n", ns)).Succeeded();
    }

    [Fact]
    public async Task RunningPodsOnTheNodeThenDeleted()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("node-running");
        // (A Deployment would do, but the controller manager's RBAC on this branch forbids it creating ReplicaSets.)
        foreach (var p in new[] { "s1", "s2" })
            (await K("run", p, "-n", ns, "--image=busybox:1.36", "--overrides=" + Overrides, "--", "sleep", "3600")).Succeeded();
        await EventuallyAsync("2 pods Running", async () =>
        {
            var r = await K("get", "pods", "-n", ns, "-o", "wide", "--no-headers");
            var rows = r.StdoutLines.Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            var done = rows.Count == 2 && rows.All(c => c.Length > 6 && c[1] == "1/1" && c[2] == "Running" && Anvil.Node.Network.CniConfig.Contains(server.PodCidr, c[5]) && c[6] == AnvilNodeServer.NodeName);
            return (done, r.Stdout);
        }, RunTimeout);
        Assert.Equal("pod/s1 condition met\n", (await K("wait", "-n", ns, "--for=condition=Ready", "pod/s1", "--timeout=60s")).Succeeded().Stdout);
        // sleep as PID 1 ignores SIGTERM: the agent kills it after the 1 s grace period, then deletes the object.
        Assert.Equal("pod \"s1\" deleted\npod \"s2\" deleted\n", (await K("delete", "pod", "s1", "s2", "-n", ns)).Succeeded().Stdout);
        Assert.Equal("", (await K("get", "pods", "-n", ns, "--no-headers")).Stdout);
    }
}
