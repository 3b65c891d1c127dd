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
