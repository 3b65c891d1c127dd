using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// What kubectl shows of containers that run out of memory, crash repeatedly, and outlive a restart of
/// <c>anvil up</c> (conmon keeps them; the agent adopts them). Own server: one test restarts it.
/// </summary>
public sealed class ContainerLifecycleTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private static string? Unavailable() =>
        Environment.UserName != "root" ? "not root"
        : !File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc") ? "runc is not installed"
        : null;

    private async Task<string[]> RowAsync(string ns, string pod)
    {
        var r = (await K("get", "pod", pod, "-n", ns, "--no-headers")).Succeeded();
        return r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task AMemoryHogIsOOMKilled()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("oom");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: hog
            spec:
              restartPolicy: Never
              containers:
              - name: hog
                image: busybox
                command: ["sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"]
                resources:
                  limits:
                    memory: 32Mi
            """);
        await EventuallyAsync("hog OOMKilled", async () =>
        {
            var row = await RowAsync(ns, "hog");
            return (row.Length > 2 && row[2] == "OOMKilled", string.Join(' ', row));
        }, RunTimeout);
        Assert.Equal("Failed OOMKilled 137", await JsonPathAsync(ns, "pod", "hog",
            "{.status.phase} {.status.containerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].state.terminated.exitCode}"));
    }

    [Fact]
    public async Task ACrashingContainerBacksOffWithGrowingRestarts()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("crash");
        (await K("run", "crash", "-n", ns, "--image=busybox", "--", "sh", "-c", "echo crashing; exit 2")).Succeeded();
        await EventuallyAsync("CrashLoopBackOff", async () =>
        {
            var row = await RowAsync(ns, "crash");
            return (row.Length > 3 && row[2] == "CrashLoopBackOff" && int.Parse(row[3], System.Globalization.CultureInfo.InvariantCulture) >= 1, string.Join(' ', row));
        }, RunTimeout);
        // The back-off (10 s, then 20 s) lets the next attempt run: restarts keep growing.
        await EventuallyAsync("restarts grow to 2", async () =>
        {
            var n = await JsonPathAsync(ns, "pod", "crash", "{.status.containerStatuses[0].restartCount}");
            return (int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) >= 2, n);
        }, RunTimeout);
        Assert.Equal("2 Error", await JsonPathAsync(ns, "pod", "crash",
            "{.status.containerStatuses[0].lastState.terminated.exitCode} {.status.containerStatuses[0].lastState.terminated.reason}"));
        Assert.Equal("crashing\n", (await K("logs", "crash", "-n", ns, "--previous")).Succeeded().Stdout);
    }

    [Fact]
    public async Task TheKubeletRecordsContainerEventsAsKubernetesDoes()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("kevents");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox:1.36
                imagePullPolicy: IfNotPresent
                command: ["sleep", "3600"]
              - name: side
                image: busybox
                command: ["sleep", "3600"]
            """);
        (await K("wait", "-n", ns, "--for=condition=Ready", "pod/web", "--timeout=90s")).Succeeded();
        string d = "";
        await EventuallyAsync("kubelet events", async () =>
        {
            d = (await K("describe", "pod", "web", "-n", ns)).Succeeded().Stdout;
            return (d.Contains("Started container side", StringComparison.Ordinal) && d.Contains("Started container app", StringComparison.Ordinal), d);
        }, RunTimeout);
        Assert.Matches(@"\n  Normal  Pulled     .*kubelet +Container image ""busybox:1.36"" already present on machine\n", d);
        Assert.Matches(@"\n  Normal  Created    .*kubelet +Created container: app\n", d);
        Assert.Matches(@"\n  Normal  Started    .*kubelet +Started container app\n", d);
        Assert.Matches(@"\n  Normal  Pulling    .*kubelet +Pulling image ""busybox""\n", d);
        Assert.Matches(@"\n  Normal  Pulled     .*kubelet +Successfully pulled image ""busybox"" in \d+(\.\d+)?m?s \(\d+(\.\d+)?m?s including waiting\)\. Image size: \d+ bytes\.\n", d);
        (await K("delete", "pod", "web", "-n", ns)).Succeeded();
        var events = "";
        await EventuallyAsync("Killing events", async () =>
        {
            events = (await K("get", "events", "-n", ns, "--field-selector", "reason=Killing", "-o", "custom-columns=OBJ:.involvedObject.fieldPath,MSG:.message", "--sort-by=.involvedObject.fieldPath")).Stdout;
            return (events.Contains("{side}", StringComparison.Ordinal) && events.Contains("{app}", StringComparison.Ordinal), events);
        }, RunTimeout);
        Assert.Equal("""
            OBJ                     MSG
            spec.containers{app}    Stopping container app
            spec.containers{side}   Stopping container side

            """, events);
    }

    [Fact]
    public async Task ACrashingContainerGetsBackOffEvents()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("backoff");
        (await K("run", "crash", "-n", ns, "--image=busybox", "--image-pull-policy=IfNotPresent", "--", "sh", "-c", "exit 2")).Succeeded();
        var uid = await JsonPathAsync(ns, "pod", "crash", "{.metadata.uid}");
        var events = "";
        await EventuallyAsync("BackOff event", async () =>
        {
            events = (await K("events", "-n", ns, "--for", "pod/crash", "--types=Warning")).Stdout;
            return (events.Contains("BackOff", StringComparison.Ordinal), events);
        }, RunTimeout);
        Assert.Matches($@"\n\S+ +Warning +BackOff +Pod/crash +Back-off restarting failed container crash in pod crash_{ns}\({uid}\)\n", events);
    }

    [Fact]
    public async Task ADeletedPodShowsItsStoppedContainersBeforeItGoes()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("stopping");
        (await K("run", "web", "-n", ns, "--image=busybox", "--", "sleep", "3600")).Succeeded();
        await EventuallyAsync("web running", async () =>
        {
            var r = await K("get", "pod", "web", "-n", ns, "-o", "jsonpath={.status.phase}");
            return (r.Stdout == "Running", r.ToString());
        }, RunTimeout);
        using var watch = Kubectl.Start("get", "pod", "web", "-n", ns, "-w", "--output-watch-events", "--no-headers");
        (await K("delete", "pod", "web", "-n", ns, "--grace-period=2")).Succeeded();

        // As with a real kubelet: the stopped container (sleep ignores SIGTERM as pid 1: killed, 137) is reported while
        // the pod is still there, and the pod goes only after that, by the kubelet's own delete.
        var stopped = await watch.WaitForLineAsync(l => l.StartsWith("MODIFIED ", StringComparison.Ordinal) && l.Contains(" 0/1 ", StringComparison.Ordinal), RunTimeout);
        Assert.Matches(@"^MODIFIED\s+web\s+0/1\s+(Error|Terminating)\s+0\s", stopped);
        var deleted = await watch.WaitForLineAsync(l => l.StartsWith("DELETED ", StringComparison.Ordinal), RunTimeout);
        Assert.Matches(@"^DELETED\s+web\s+0/1\s", deleted);
    }

    [Fact]
    public async Task RunningContainersSurviveARestartOfAnvil()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("survive");
        (await K("run", "steady", "-n", ns, "--image=busybox", "--", "sleep", "3600")).Succeeded();
        await EventuallyAsync("steady Running", async () =>
        {
            var row = await RowAsync(ns, "steady");
            return (row.Length > 2 && row[2] == "Running", string.Join(' ', row));
        }, RunTimeout);
        const string Fields = "{.status.containerStatuses[0].containerID} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].state.running.startedAt} {.status.podIP}";
        var before = await JsonPathAsync(ns, "pod", "steady", Fields);

        await Server.RestartAsync();

        // After the agent has adopted the container, status is rewritten from it: the same container, start and IP.
        await EventuallyAsync("node Ready again", async () =>
        {
            var r = await K("get", "node", AnvilNodeServer.NodeName, "--no-headers");
            return (r.ExitCode == 0 && r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(1) == "Ready", r.ToString());
        }, RunTimeout);
        Assert.Equal(before, await JsonPathAsync(ns, "pod", "steady", Fields));
        Assert.Equal("1/1 Running 0", string.Join(' ', (await RowAsync(ns, "steady"))[1..4]));
        Assert.Equal("pod \"steady\" deleted\n", (await K("delete", "pod", "steady", "-n", ns, "--grace-period=1")).Succeeded().Stdout);
    }
}
