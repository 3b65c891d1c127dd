using System.Globalization;
using System.Text.RegularExpressions;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// <c>kubectl top</c> against metrics.k8s.io served from the node agent's cgroup samples. Skipped (passing with
/// a note) when not root or runc is missing.
/// </summary>
public sealed class TopTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan MetricsTimeout = TimeSpan.FromSeconds(90);

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static long MilliCores(string cell) =>
        cell.EndsWith('m') ? long.Parse(cell[..^1], CultureInfo.InvariantCulture) : long.Parse(cell, CultureInfo.InvariantCulture) * 1000;

    [Fact]
    public async Task TopNodesShowsTheNode()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        KubectlResult? last = null;
        await EventuallyAsync("kubectl top nodes", async () =>
        {
            last = await K("top", "nodes");
            return (last.ExitCode == 0, last.Stdout + last.Stderr);
        }, MetricsTimeout);
        var lines = last!.StdoutLines;
        Assert.Equal(new[] { "NAME", "CPU(cores)", "CPU(%)", "MEMORY(bytes)", "MEMORY(%)" }, Cells(lines[0]));
        var row = Cells(Assert.Single(lines.Skip(1)));
        Assert.Equal(AnvilNodeServer.NodeName, row[0]);
        Assert.Matches(@"^\d+m$", row[1]);
        Assert.Matches(@"^\d+%$", row[2]);
        Assert.Matches(@"^\d+Mi$", row[3]);
        Assert.Matches(@"^\d+%$", row[4]);
        // The raw object, as metrics-server shapes it.
        var raw = (await K("get", "--raw", "/apis/metrics.k8s.io/v1beta1/nodes/" + AnvilNodeServer.NodeName)).Succeeded().Stdout;
        Assert.Matches("^\\{\"kind\":\"NodeMetrics\",\"apiVersion\":\"metrics.k8s.io/v1beta1\",\"metadata\":\\{\"name\":\"" + Regex.Escape(AnvilNodeServer.NodeName)
            + "\",\"creationTimestamp\":\"[^\"]+\",\"labels\":\\{[^}]*\\}\\},\"timestamp\":\"[^\"]+\",\"window\":\"[0-9.]+s\",\"usage\":\\{\"cpu\":\"\\d+n?\",\"memory\":\"\\d+(Ki)?\"\\}\\}", raw.Trim());
        Assert.Equal("Error from server (NotFound): nodes \"nope\" not found", (await K("top", "node", "nope")).Failed().StderrLines.Last());
    }

    [Fact]
    public async Task TopPodsShowsACpuBurner()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("top-pods");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata:
              name: burner
              labels: {app: burner}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - name: spin
                image: busybox
                command: ["sh", "-c", "while :; do :; done"]
                resources:
                  limits: {cpu: 200m, memory: 64Mi}
            """);
        KubectlResult? last = null;
        await EventuallyAsync("burner in kubectl top pods", async () =>
        {
            last = await K("top", "pods", "-n", ns);
            return (last.ExitCode == 0 && last.StdoutLines.Length == 2 && MilliCores(Cells(last.StdoutLines[1])[1]) > 0, last.Stdout + last.Stderr);
        }, MetricsTimeout);
        Assert.Equal(new[] { "NAME", "CPU(cores)", "MEMORY(bytes)" }, Cells(last!.StdoutLines[0]));
        var row = Cells(last.StdoutLines[1]);
        Assert.Equal("burner", row[0]);
        // limits.cpu 200m caps it (a little over is possible within a window).
        Assert.InRange(MilliCores(row[1]), 1, 300);
        Assert.Matches(@"^\d+Mi$", row[2]);

        var containers = (await K("top", "pod", "burner", "-n", ns, "--containers")).Succeeded().StdoutLines;
        Assert.Equal(new[] { "POD", "NAME", "CPU(cores)", "MEMORY(bytes)" }, Cells(containers[0]));
        var c = Cells(Assert.Single(containers.Skip(1)));
        Assert.Equal(new[] { "burner", "spin" }, c[..2]);

        var all = (await K("top", "pods", "-A")).Succeeded().StdoutLines;
        Assert.Equal(new[] { "NAMESPACE", "NAME", "CPU(cores)", "MEMORY(bytes)" }, Cells(all[0]));
        Assert.Contains(all.Skip(1), l => Cells(l)[..2].SequenceEqual(new[] { ns, "burner" }));

        Assert.Equal("burner", Cells((await K("top", "pods", "-n", ns, "-l", "app=burner", "--no-headers")).Succeeded().StdoutLines.Single())[0]);
        var none = await K("top", "pods", "-n", ns, "-l", "app=other");
        Assert.Equal("No resources found in " + ns + " namespace.", none.Succeeded().StderrLines.Last());

        // RBAC applies as to any resource: a user needs metrics.k8s.io pods.
        Assert.Equal($"Error from server (Forbidden): pods.metrics.k8s.io is forbidden: User \"top-user\" cannot list resource \"pods\" in API group \"metrics.k8s.io\" in the namespace \"{ns}\"",
            (await K("top", "pods", "-n", ns, "--as=top-user")).Failed().StderrLines.Last());
        (await K("create", "role", "metrics-reader", "-n", ns, "--verb=get,list", "--resource=pods.metrics.k8s.io")).Succeeded();
        (await K("create", "rolebinding", "metrics-reader", "-n", ns, "--role=metrics-reader", "--user=top-user")).Succeeded();
        await EventuallyAsync("top-user may list pod metrics", async () =>
        {
            var r = await K("top", "pods", "-n", ns, "--as=top-user", "--no-headers");
            return (r.ExitCode == 0 && Cells(r.StdoutLines.FirstOrDefault() ?? "").FirstOrDefault() == "burner", r.Stdout + r.Stderr);
        });

        // Read-only: no writes, no watch.
        Assert.Equal("Error from server (MethodNotAllowed): the server does not allow this method on the requested resource",
            (await K("delete", "pods.metrics.k8s.io", "burner", "-n", ns)).Failed().StderrLines.Last());
        Assert.Equal("Error from server (MethodNotAllowed): watch is not supported on resources of kind \"pods.metrics.k8s.io\"",
            (await K("get", "pods.metrics.k8s.io", "-n", ns, "--watch-only", "--request-timeout=10s")).Failed().StderrLines.Last());
        // kubectl get renders metrics-server's Table.
        var table = (await K("get", "pods.metrics.k8s.io", "-n", ns)).Succeeded().StdoutLines;
        Assert.Equal(new[] { "NAME", "CPU", "MEMORY", "WINDOW" }, Cells(table[0]));
        Assert.Equal("burner", Cells(table[1])[0]);

        (await K("delete", "pod", "burner", "-n", ns)).Succeeded();
    }

    [Fact]
    public async Task PodWithoutMetricsYet()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("top-none");
        // A pod the node cannot run (no such image): it never has metrics.
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: waiting}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              containers: [{name: c, image: registry.example/none:1}]
            """);
        Assert.Equal("error: metrics not available yet", (await K("top", "pods", "-n", ns)).Failed().StderrLines.Last());
        Assert.Equal($"Error from server (NotFound): podmetrics.metrics.k8s.io \"{ns}/waiting\" not found", (await K("top", "pod", "waiting", "-n", ns)).Failed().StderrLines.Last());
        (await K("delete", "pod", "waiting", "-n", ns)).Succeeded();
    }
}
