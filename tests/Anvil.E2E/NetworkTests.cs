using Anvil.E2E.Harness;
using Anvil.Node.Network;

namespace Anvil.E2E;

/// <summary>
/// Pod networking end to end: Deployment pods on the node's CNI bridge with their own addresses, pod-to-pod
/// HTTP, a ClusterIP Service through the service proxy's iptables rules, and its EndpointSlice. All traffic stays
/// between pods of this run. Skipped (passing with a note) when not root or runc/CNI are missing.
/// </summary>
public sealed class NetworkTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return CniNetwork.Unavailable();
    }

    private const string Web = """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          replicas: 2
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              terminationGracePeriodSeconds: 1
              containers:
              - name: httpd
                image: busybox
                command: ["sh", "-c", "mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 8080 -h /www"]
                ports:
                - {name: http, containerPort: 8080}
        """;

    /// <summary>Waits for the two web pods to run; their (name, IP) from <c>kubectl get pods -o wide</c>.</summary>
    private async Task<List<(string Name, string IP)>> WebPodsAsync(string ns)
    {
        var pods = new List<(string, string)>();
        await EventuallyAsync("2 web pods Running with pod IPs", async () =>
        {
            var r = await K("get", "pods", "-n", ns, "-l", "app=web", "-o", "wide");
            var rows = r.StdoutLines.Skip(1).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            var done = r.StdoutLines.FirstOrDefault()?.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", ..]
                && rows.Count == 2 && rows.All(c => c.Length > 6 && c[1] == "1/1" && c[2] == "Running" && c[6] == AnvilNodeServer.NodeName
                    && CniConfig.Contains(server.PodCidr, c[5]));
            if (done) pods = rows.Select(c => (c[0], c[5])).ToList();
            return (done, r.ToString());
        }, RunTimeout);
        return pods;
    }

    /// <summary>Runs a one-shot busybox pod that fetches <paramref name="url"/> (retrying while the server starts); its output.</summary>
    private async Task<string> FetchFromPodAsync(string ns, string pod, string url)
    {
        var script = $"for i in $(seq 1 30); do timeout 5 wget -qO- {url} && exit 0; sleep 1; done; exit 1";
        (await K("run", pod, "-n", ns, "--image=busybox", "--restart=Never", "--overrides={\"spec\":{\"terminationGracePeriodSeconds\":1}}",
            "--", "sh", "-c", script)).Succeeded();
        await EventuallyAsync($"pod {pod} finished", async () =>
        {
            var phase = (await K("get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.phase}")).Stdout;
            return (phase is "Succeeded" or "Failed", phase + "\n" + (await K("get", "pod", pod, "-n", ns, "-o", "yaml")).Stdout);
        }, RunTimeout);
        var logs = (await K("logs", pod, "-n", ns)).Succeeded().Stdout;
        Assert.True((await JsonPathAsync(ns, "pod", pod, "{.status.phase}")) == "Succeeded", $"{pod} failed to fetch {url}:\n{logs}");
        return logs;
    }

    [Fact]
    public async Task DeploymentPodsGetTheirOwnAddressesAndReachEachOther()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("net-pods");
        await CreateAsync(ns, Web);
        var pods = await WebPodsAsync(ns);
        Assert.NotEqual(pods[0].IP, pods[1].IP);
        Assert.Equal($"{pods[0].IP} {pods[0].IP}", await JsonPathAsync(ns, "pod", pods[0].Name, "{.status.podIP} {.status.podIPs[0].ip}"));
        Assert.Equal("127.0.0.1", await JsonPathAsync(ns, "pod", pods[0].Name, "{.status.hostIP}"));

        Assert.Equal($"hello-from-{pods[1].Name}\n", await FetchFromPodAsync(ns, "client", $"http://{pods[1].IP}:8080/"));
        // The client pod has its own cluster resolv.conf and hosts file.
        var files = await FetchFromPodAsync(ns, "files", $"http://{pods[0].IP}:8080/ && cat /etc/resolv.conf /etc/hosts && true");
        Assert.Contains($"search {ns}.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n", files);
        var filesIP = await JsonPathAsync(ns, "pod", "files", "{.status.podIP}");
        Assert.Contains($"{filesIP}\tfiles\n", files);
    }

    [Fact]
    public async Task ClusterIPServiceReachesThePodsAndListsThemInAnEndpointSlice()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("net-svc");
        await CreateAsync(ns, Web);
        (await K("expose", "deployment", "web", "-n", ns, "--port=80", "--target-port=http")).Succeeded();
        var pods = await WebPodsAsync(ns);

        var ips = pods.Select(p => p.IP).Order(StringComparer.Ordinal).ToList();
        await EventuallyAsync("the EndpointSlice lists both pods", async () =>
        {
            var r = await K("get", "endpointslices", "-n", ns);
            var t = Table.Parse(r.Stdout);
            var done = r.ExitCode == 0 && t.Header.SequenceEqual(["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"]) && t.Rows.Length == 1
                && t.Rows[0][0].StartsWith("web-", StringComparison.Ordinal) && t.Rows[0][1] == "IPv4" && t.Rows[0][2] == "8080"
                && t.Rows[0][3] == string.Join(",", ips);
            return (done, r.ToString());
        }, RunTimeout);
        Assert.Equal($"true true web {AnvilNodeServer.NodeName} Pod",
            (await K("get", "endpointslices", "-n", ns, "-o", "jsonpath={.items[0].endpoints[0].conditions.ready} {.items[0].endpoints[1].conditions.ready} "
                + "{.items[0].metadata.labels.kubernetes\\.io/service-name} {.items[0].endpoints[0].nodeName} {.items[0].endpoints[0].targetRef.kind}")).Succeeded().Stdout);

        var clusterIP = await JsonPathAsync(ns, "service", "web", "{.spec.clusterIP}");
        var body = await FetchFromPodAsync(ns, "client", $"http://{clusterIP}:80/");
        Assert.Matches($"^hello-from-({string.Join("|", pods.Select(p => p.Name))})\n$", body);
    }
}
