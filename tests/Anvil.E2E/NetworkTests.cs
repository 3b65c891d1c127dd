using Anvil.E2E.Harness;
using System.Net.Sockets;
using Anvil.Node.Network;
using Anvil.Node.Proxy;

namespace Anvil.E2E;

/// <summary>
/// Pod networking end to end: Deployment pods on the node's CNI bridge with their own addresses, pod-to-pod
/// HTTP, a ClusterIP Service through the service proxy's iptables rules, and its EndpointSlice; Services without
/// endpoints refused at once, node ports on the node's bridge address, a pod reaching itself through its Service
/// (hairpin), and stale proxy chains removed after a restart. All traffic stays between pods of this run and the
/// host's address on this run's bridge (only after the proxy's rules for it are in place). Skipped (passing with a note) when not root or runc/CNI are missing.
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
        var (succeeded, logs) = await RunPodAsync(ns, pod, $"for i in $(seq 1 30); do timeout 5 wget -qO- {url} && exit 0; sleep 1; done; exit 1");
        Assert.True(succeeded, $"{pod} failed to fetch {url}:\n{logs}");
        return logs;
    }

    /// <summary>Runs a one-shot busybox pod with a shell script; whether it succeeded, and its output.</summary>
    private async Task<(bool Succeeded, string Logs)> RunPodAsync(string ns, string pod, string script)
    {
        (await K("run", pod, "-n", ns, "--image=busybox", "--restart=Never", "--overrides={\"spec\":{\"terminationGracePeriodSeconds\":1}}",
            "--", "sh", "-c", script)).Succeeded();
        await EventuallyAsync($"pod {pod} finished", async () =>
        {
            var phase = (await K("get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.phase}")).Stdout;
            return (phase is "Succeeded" or "Failed", phase + "\n" + (await K("get", "pod", pod, "-n", ns, "-o", "yaml")).Stdout);
        }, RunTimeout);
        var logs = (await K("logs", pod, "-n", ns)).Succeeded().Stdout;
        return (await JsonPathAsync(ns, "pod", pod, "{.status.phase}") == "Succeeded", logs);
    }

    /// <summary>The node's address on the pod bridge (the gateway, first address of the pod CIDR): a node port address.</summary>
    private string BridgeIP => server.PodCidr[..server.PodCidr.LastIndexOf('.')] + ".1";

    private static async Task<string> IptablesSaveAsync(string table)
    {
        var (code, saved) = await NodeCleanup.RunAsync("iptables-save", "-t", table);
        Assert.True(code == 0, $"iptables-save -t {table} failed");
        return saved;
    }

    /// <summary>Waits until the proxy's rules in <paramref name="table"/> contain every one of <paramref name="texts"/>.</summary>
    private static Task RulesContainAsync(string table, params string[] texts) =>
        EventuallyAsync($"{table} rules with {string.Join(", ", texts)}", async () =>
        {
            var saved = await IptablesSaveAsync(table);
            return (texts.All(t => saved.Contains(t, StringComparison.Ordinal)), saved);
        }, RunTimeout);

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

    [Fact]
    public async Task ServiceWithoutEndpointsRefusesConnectionsAtOnce()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("net-none");
        // No pod matches app=nothing: the Service has an empty EndpointSlice.
        (await K("create", "service", "nodeport", "nothing", "-n", ns, "--tcp=80:8080")).Succeeded();
        var clusterIP = await JsonPathAsync(ns, "service", "nothing", "{.spec.clusterIP}");
        var nodePort = int.Parse(await JsonPathAsync(ns, "service", "nothing", "{.spec.ports[0].nodePort}"), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(nodePort, 30000, 32767);
        // Nothing is sent before the rejects are in place (without them the SYN would leave through the default route).
        await RulesContainAsync("filter",
            $"-A {server.ChainPrefix}SERVICES -d {clusterIP}/32 -p tcp -m comment --comment \"{ns}/nothing:80-8080 has no endpoints\" -m tcp --dport 80 -j REJECT",
            $"-A {server.ChainPrefix}EXT-SERVICES -p tcp -m comment --comment \"{ns}/nothing:80-8080 has no endpoints\" -m addrtype --dst-type LOCAL -m tcp --dport {nodePort} -j REJECT");

        var (_, logs) = await RunPodAsync(ns, "client", $"timeout 20 wget -qO- http://{clusterIP}/ 2>&1; echo exit=$?");
        Assert.Equal($"wget: can't connect to remote host ({clusterIP}): Connection refused\nexit=1\n", logs);
        var e = await Assert.ThrowsAnyAsync<SocketException>(async () =>
        {
            using var tcp = new TcpClient();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await tcp.ConnectAsync(BridgeIP, nodePort, cts.Token);
        });
        Assert.Equal(SocketError.ConnectionRefused, e.SocketErrorCode);
    }

    [Fact]
    public async Task NodePortReachesThePodsOnTheBridgeAddressAPodReachesItselfAndClientIPAffinitySticks()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("net-nodeport");
        await CreateAsync(ns, Web);
        (await K("expose", "deployment", "web", "-n", ns, "--type=NodePort", "--port=80", "--target-port=http")).Succeeded();
        var pods = await WebPodsAsync(ns);
        var names = $"^hello-from-({string.Join("|", pods.Select(p => p.Name))})\n$";
        var nodePort = await JsonPathAsync(ns, "service", "web", "{.spec.ports[0].nodePort}");
        await RulesContainAsync("nat", $"-A {server.ChainPrefix}NODEPORTS -p tcp -m comment --comment \"{ns}/web:\" -m tcp --dport {nodePort} -j {server.ChainPrefix}EXT-");

        // From the host, to its own address on the bridge (not 127.0.0.1: that would need route_localnet).
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var hostBody = "";
        await EventuallyAsync($"GET http://{BridgeIP}:{nodePort}/ from the host", async () =>
        {
            try
            {
                hostBody = await http.GetStringAsync($"http://{BridgeIP}:{nodePort}/");
                return (true, hostBody);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return (false, e.Message);
            }
        }, RunTimeout);
        Assert.Matches(names, hostBody);
        Assert.Matches(names, await FetchFromPodAsync(ns, "client", $"http://{BridgeIP}:{nodePort}/"));

        // Hairpin: a Service with only this pod behind it, fetched from inside the pod.
        var solo = pods[0].Name;
        (await K("label", "pod", solo, "-n", ns, "solo=yes")).Succeeded();
        await CreateAsync(ns, """
            apiVersion: v1
            kind: Service
            metadata:
              name: solo
            spec:
              selector: {solo: "yes"}
              ports:
              - {port: 80, targetPort: http}
            """);
        var soloIP = await JsonPathAsync(ns, "service", "solo", "{.spec.clusterIP}");
        await RulesContainAsync("nat", $"--comment \"{ns}/solo: -> {pods[0].IP}:8080\"");
        var self = "";
        await EventuallyAsync($"{solo} fetches http://{soloIP}/", async () =>
        {
            var r = await K("exec", solo, "-n", ns, "--", "timeout", "5", "wget", "-qO-", $"http://{soloIP}/");
            self = r.Stdout;
            return (r.ExitCode == 0, r.ToString());
        }, RunTimeout);
        Assert.Equal($"hello-from-{solo}\n", self);

        // ClientIP affinity (through the local endpoints of internalTrafficPolicy Local): one client, one pod.
        (await K("patch", "service", "web", "-n", ns, "-p", """{"spec":{"sessionAffinity":"ClientIP","internalTrafficPolicy":"Local"}}""")).Succeeded();
        var webIP = await JsonPathAsync(ns, "service", "web", "{.spec.clusterIP}");
        var port = new ServicePort(ns, "web", "", webIP, 80, "TCP", []);
        var local = ProxyRules.LocalServiceChain(new ProxyOptions { ChainPrefix = server.ChainPrefix }, port);
        await RulesContainAsync("nat", $"-A {server.ChainPrefix}SERVICES -d {webIP}/32 -p tcp -m comment --comment \"{ns}/web: cluster IP\" -m tcp --dport 80 -j {local}",
            $"-A {local} -m comment --comment \"{ns}/web: -> {pods[1].IP}:8080\" -m recent --rcheck --seconds 10800 --reap");
        var (ok, sticky) = await RunPodAsync(ns, "sticky", $"for i in 1 2 3 4 5 6; do timeout 5 wget -qO- http://{webIP}/ || exit 1; done");
        Assert.True(ok, sticky);
        var answers = sticky.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, answers.Length);
        Assert.Single(answers.Distinct());
    }

    [Fact]
    public async Task AfterARestartTheProxyRemovesChainsOfServicesDeletedMeanwhile()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("net-resync");
        var unused = BridgeIP[..^1] + "250";
        // A Service with a hand-made EndpointSlice (an address no pod has; nothing is sent to it).
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Service
            metadata:
              name: kept
            spec:
              ports:
              - {port: 80, targetPort: 8080}
            ---
            apiVersion: discovery.k8s.io/v1
            kind: EndpointSlice
            metadata:
              name: kept-1
              labels: {kubernetes.io/service-name: kept}
            addressType: IPv4
            ports:
            - {name: "", port: 8080, protocol: TCP}
            endpoints:
            - addresses: ["{{unused}}"]
            """);
        var options = new ProxyOptions { ChainPrefix = server.ChainPrefix };
        var kept = ProxyRules.ServiceChain(options, new ServicePort(ns, "kept", "", "", 80, "TCP", []));
        await RulesContainAsync("nat", $":{kept} - ");

        // What a proxy stopped before it saw a Service go leaves behind: its service and endpoint chains.
        var gonePort = new ServicePort(ns, "gone", "", "10.96.0.99", 80, "TCP", [(unused, 8080)]);
        var gone = ProxyRules.ServiceChain(options, gonePort);
        var goneEndpoint = ProxyRules.EndpointChain(options, gonePort, (unused, 8080));
        await Iptables.RestoreAsync($"*nat\n:{gone} - [0:0]\n:{goneEndpoint} - [0:0]\n-A {gone} -j {goneEndpoint}\n"
            + $"-A {goneEndpoint} -p tcp -m tcp -j DNAT --to-destination {unused}:8080\nCOMMIT\n", default);
        await server.RestartAsync();

        await EventuallyAsync("the stale chains are removed, the kept Service's stays", async () =>
        {
            var nat = await IptablesSaveAsync("nat");
            return (!nat.Contains(gone, StringComparison.Ordinal) && !nat.Contains(goneEndpoint, StringComparison.Ordinal)
                && nat.Contains($":{kept} - ", StringComparison.Ordinal), nat);
        }, RunTimeout);
        // The jumps into our chains are there once each, not once per start.
        var jumps = (await IptablesSaveAsync("nat") + await IptablesSaveAsync("filter")).Split('\n')
            .Where(l => l.StartsWith("-A PREROUTING ", StringComparison.Ordinal) || l.StartsWith("-A OUTPUT ", StringComparison.Ordinal)
                || l.StartsWith("-A POSTROUTING ", StringComparison.Ordinal) || l.StartsWith("-A INPUT ", StringComparison.Ordinal) || l.StartsWith("-A FORWARD ", StringComparison.Ordinal))
            .Where(l => l.Contains($"-j {server.ChainPrefix}", StringComparison.Ordinal))
            .Select(l => string.Join(' ', l.Split(' ').Take(2)) + " -> " + l[(l.LastIndexOf(' ') + 1)..]).Order(StringComparer.Ordinal).ToList();
        var p = server.ChainPrefix;
        Assert.Equal(
            [
                $"-A FORWARD -> {p}EXT-SERVICES", $"-A FORWARD -> {p}SERVICES", $"-A INPUT -> {p}EXT-SERVICES", $"-A OUTPUT -> {p}SERVICES", $"-A OUTPUT -> {p}SERVICES",
                $"-A POSTROUTING -> {p}POSTROUTING", $"-A PREROUTING -> {p}SERVICES",
            ], jumps);
    }

    [Fact]
    public async Task ARequestedNodePortMustBeFreeAndInTheRange()
    {
        var ns = await NamespaceAsync("net-ports");
        (await K("create", "service", "nodeport", "first", "-n", ns, "--tcp=80:8080")).Succeeded();
        var taken = await JsonPathAsync(ns, "service", "first", "{.spec.ports[0].nodePort}");
        var r = await K("create", "service", "nodeport", "second", "-n", ns, "--tcp=80:8080", "--node-port=" + taken);
        Assert.Equal(1, r.ExitCode);
        Assert.Equal($"error: failed to create NodePort service: Service \"second\" is invalid: spec.ports[0].nodePort: Invalid value: {taken}: provided port is already allocated\n", r.Stderr);
        r = await K("create", "service", "nodeport", "second", "-n", ns, "--tcp=80:8080", "--node-port=8080");
        Assert.Equal("error: failed to create NodePort service: Service \"second\" is invalid: spec.ports[0].nodePort: Invalid value: 8080: "
            + "provided port is not in the valid range. The range of valid ports is 30000-32767\n", r.Stderr);
    }
}
