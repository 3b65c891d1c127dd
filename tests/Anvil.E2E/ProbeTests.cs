using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Readiness, liveness and httpGet probes run by the node agent against real containers, seen through kubectl
/// (READY and RESTARTS columns, describe, events). Skipped (passing with a note) when not root or runc is missing.
/// </summary>
public sealed class ProbeTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    /// <summary>A port nothing listens on now (pods may share the host's network).</summary>
    private static int FreePort()
    {
        var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        var port = ((IPEndPoint)l.LocalEndpoint).Port;
        l.Stop();
        return port;
    }

    private async Task<string[]> RowAsync(string ns, string pod)
    {
        var r = (await K("get", "pod", pod, "-n", ns, "--no-headers")).Succeeded();
        return r.Stdout.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public async Task ReadinessFollowsAFileTheContainerCreates()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("probe-ready");
        using var watch = Kubectl.Start("get", "pod", "-n", ns, "-w", "--no-headers");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: r}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: ["sh", "-c", "sleep 8; touch /tmp/ready; sleep 3600"]
                readinessProbe:
                  exec: {command: ["cat", "/tmp/ready"]}
                  periodSeconds: 1
                  failureThreshold: 1
            """);
        // Every status the agent writes reaches the watch: first running but not ready, then ready.
        await watch.WaitForLineAsync(l => Regex.IsMatch(l, @"^r\s+0/1\s+Running\s+0\s"), RunTimeout);
        await watch.WaitForLineAsync(l => Regex.IsMatch(l, @"^r\s+1/1\s+Running\s+0\s"), RunTimeout);
        Assert.Equal("true true True", await JsonPathAsync(ns, "pod", "r",
            "{.status.containerStatuses[0].ready} {.status.containerStatuses[0].started} {.status.conditions[?(@.type==\"ContainersReady\")].status}"));
        var d = (await K("describe", "pod", "r", "-n", ns)).Succeeded().Stdout;
        Assert.Matches(@"\n  Warning  Unhealthy  .*kubelet +Readiness probe failed: cat: can't open '/tmp/ready': No such file or directory\n", d);
        Assert.Matches(@"\n    Readiness:      exec \[cat /tmp/ready\] delay=0s timeout=1s period=1s #success=1 #failure=1\n", d);
        (await K("delete", "pod", "r", "-n", ns)).Succeeded();
    }

    [Fact]
    public async Task LivenessFailureRestartsTheContainer()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("probe-live");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: live}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - name: app
                image: busybox
                command: ["sleep", "3600"]
                livenessProbe:
                  exec: {command: ["cat", "/tmp/healthy"]}
                  periodSeconds: 1
                  failureThreshold: 2
            """);
        await EventuallyAsync("a restart", async () =>
        {
            var row = await RowAsync(ns, "live");
            return (row.Length > 3 && row[3] != "0", string.Join(' ', row));
        }, RunTimeout);
        var d = (await K("describe", "pod", "live", "-n", ns)).Succeeded().Stdout;
        Assert.Matches(@"\n  Warning  Unhealthy  .*kubelet +Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory\n", d);
        Assert.Matches(@"\n  Normal   Killing    .*kubelet +Container app failed liveness probe, will be restarted\n", d);
        Assert.Matches(@"\n    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    137\n", d);
        var events = (await K("get", "events", "-n", ns)).Succeeded().Stdout;
        Assert.Matches(@"\n\S+\s+Normal\s+Killing\s+pod/live\s+Container app failed liveness probe, will be restarted\n", events);
        (await K("delete", "pod", "live", "-n", ns)).Succeeded();
    }

    [Fact]
    public async Task HttpGetReadinessAgainstBusyboxHttpd()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("probe-http");
        var (good, bad) = (FreePort(), FreePort());
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: web}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - name: web
                image: busybox
                command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p {{good}} -h /www"]
                ports: [{name: http, containerPort: {{good}}}]
                readinessProbe:
                  httpGet: {path: /index.html, port: http}
                  periodSeconds: 1
              - name: missing
                image: busybox
                command: ["sh", "-c", "mkdir -p /www && exec httpd -f -p {{bad}} -h /www"]
                readinessProbe:
                  httpGet: {path: /nope, port: {{bad}}}
                  periodSeconds: 1
                  failureThreshold: 1
            """);
        await EventuallyAsync("web ready, missing not", async () =>
        {
            var s = await JsonPathAsync(ns, "pod", "web", "{.status.containerStatuses[*].ready}");
            return (s == "false true" || s == "true false", s);
        }, RunTimeout);
        var ready = (await JsonPathAsync(ns, "pod", "web", "{range .status.containerStatuses[*]}{.name}={.ready} {end}")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["missing=false", "web=true"], ready.Order());
        var row = await RowAsync(ns, "web");
        Assert.Equal(["web", "1/2", "Running", "0"], row[..4]);
        Assert.Equal("False ContainersNotReady containers with unready status: [missing]", await JsonPathAsync(ns, "pod", "web",
            "{range .status.conditions[?(@.type==\"Ready\")]}{.status} {.reason} {.message}{end}"));
        await EventuallyAsync("Unhealthy event", async () =>
        {
            var e = (await K("get", "events", "-n", ns, "--field-selector", "reason=Unhealthy")).Stdout;
            return (e.Contains("Readiness probe failed: HTTP probe failed with statuscode: 404", StringComparison.Ordinal), e);
        });
        (await K("delete", "pod", "web", "-n", ns)).Succeeded();
    }
}
