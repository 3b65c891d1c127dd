using System.Text.RegularExpressions;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// What the API server reads from the node through the kubelet's HTTPS API, as users see it: <c>kubectl logs</c>
/// (/containerLogs), <c>kubectl port-forward</c> (SPDY tunnelled over a WebSocket to /portForward) and
/// <c>kubectl cp</c> (exec with tar). Skipped (passing with a note) when not root or runc is missing.
/// </summary>
public sealed partial class KubeletApiTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    private async Task RunningPodAsync(string ns, string name, string command)
    {
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: {{name}}}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: [sh, -c, '{{command}}']}
            """);
        await EventuallyAsync($"pod {name} running", async () =>
        {
            var r = await K("get", "pod", name, "-n", ns, "-o", "jsonpath={.status.phase} {.status.containerStatuses[*].ready}");
            return (r.Stdout == "Running true", r.ToString());
        }, RunTimeout);
    }

    [Fact]
    public async Task LogsTailFollowAndPrevious()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("kubelet-logs");
        await RunningPodAsync(ns, "counter", "for i in 1 2 3; do echo line $i; done; sleep 3600");
        await EventuallyAsync("three lines logged", async () =>
        {
            var r = await K("logs", "counter", "-n", ns);
            return (r.Stdout == "line 1\nline 2\nline 3\n", r.ToString());
        });

        var tail = (await K("logs", "counter", "-n", ns, "--tail=2")).Succeeded();
        var limited = (await K("logs", "counter", "-n", ns, "--limit-bytes=8")).Succeeded();
        var noPrevious = (await K("logs", "counter", "-n", ns, "--previous")).Failed();
        using (var follow = Kubectl.Start("logs", "-f", "counter", "-n", ns, "--tail=1"))
        {
            Assert.Equal("line 3", await follow.NextLineAsync(RunTimeout));
            // A line written now reaches the follower through the kubelet's chunked stream.
            (await K("exec", "counter", "-n", ns, "--", "sh", "-c", "echo later > /proc/1/fd/1")).Succeeded();
            Assert.Equal("later", await follow.NextLineAsync(RunTimeout));
        }

        Assert.Equal("line 2\nline 3\n", tail.Stdout);
        Assert.Equal("line 1\nl", limited.Stdout);
        Assert.Equal("Error from server (BadRequest): previous terminated container \"main\" in pod \"counter\" not found", noPrevious.StderrLines.Last());
    }

    [Fact]
    public async Task LogsOfAWaitingContainerSayWhy()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("kubelet-waiting");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: absent}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              containers:
              - {name: main, image: no.such.registry/nothing:1, imagePullPolicy: Never}
            """);
        await EventuallyAsync("the container waits", async () =>
        {
            var r = await K("get", "pod", "absent", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].state.waiting.reason}");
            return (r.Stdout == "ErrImageNeverPull", r.ToString());
        }, RunTimeout);

        var logs = (await K("logs", "absent", "-n", ns)).Failed();

        // The kubelet's words, from the pod's status, through the API server.
        Assert.Equal("Error from server (BadRequest): container \"main\" in pod \"absent\" is waiting to start: ErrImageNeverPull", logs.StderrLines.Last());
    }

    [Fact]
    public async Task PreviousLogOfARestartedContainer()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("kubelet-previous");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: flaky}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: [sh, -c, 'echo started; sleep 1; exit 2']}
            """);
        await EventuallyAsync("a restart", async () =>
        {
            var r = await K("get", "pod", "flaky", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].restartCount}");
            return (r.Stdout is not ("" or "0"), r.ToString());
        }, RunTimeout);

        var previous = (await K("logs", "flaky", "-n", ns, "--previous")).Succeeded();
        var previousFollowed = (await K("logs", "flaky", "-n", ns, "--previous", "-f")).Succeeded();

        Assert.Equal("started\n", previous.Stdout);
        Assert.Equal("started\n", previousFollowed.Stdout);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task PortForwardReachesTheContainersPort(bool websockets)
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        // kubectl 1.32 tunnels SPDY through a WebSocket; switched off, it upgrades to SPDY directly.
        Kubectl.Environment["KUBECTL_PORT_FORWARD_WEBSOCKETS"] = websockets ? "true" : "false";
        var ns = await NamespaceAsync(websockets ? "kubelet-portforward-ws" : "kubelet-portforward-spdy");
        // Listening on the pod's loopback only: reached from inside the pod's network namespace, as the kubelet does.
        await RunningPodAsync(ns, "web", "mkdir -p /www && echo hello from the pod > /www/index.html && exec httpd -f -p 127.0.0.1:8080 -h /www");

        using var forward = Kubectl.Start("port-forward", "pod/web", "-n", ns, "--address=127.0.0.1", ":8080");
        var line = await forward.NextLineAsync(RunTimeout);
        var m = ForwardingLine().Match(line);
        Assert.True(m.Success, line);
        var port = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        // Two connections in a row: each is a stream pair inside the one tunnel.
        string first;
        try { first = await http.GetStringAsync($"http://127.0.0.1:{port}/index.html"); }
        catch (HttpRequestException e) { throw new Xunit.Sdk.XunitException($"{e.Message}\nkubectl: {string.Join("\n", forward.Seen)}\n{forward.Stderr}\nserver: {Server.Output}"); }
        var second = await http.GetStringAsync($"http://127.0.0.1:{port}/index.html");
        var missing = await http.GetAsync($"http://127.0.0.1:{port}/nope.html");

        Assert.Equal("hello from the pod\n", first);
        Assert.Equal(first, second);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal($"Handling connection for {port}", await forward.NextLineAsync(RunTimeout));
    }

    [Fact]
    public async Task PortForwardToAClosedPortReportsTheError()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("kubelet-portforward-closed");
        await RunningPodAsync(ns, "quiet", "sleep 3600");
        var uid = await JsonPathAsync(ns, "pod", "quiet", "{.metadata.uid}");

        using var forward = Kubectl.Start("port-forward", "pod/quiet", "-n", ns, "--address=127.0.0.1", ":9999");
        var m = ForwardingLine9999().Match(await forward.NextLineAsync(RunTimeout));
        Assert.True(m.Success, string.Join("\n", forward.Seen));
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        // The kubelet's refusal comes back on the error stream; kubectl closes the local connection and reports it.
        var read = await client.GetStream().ReadAsync(new byte[16]).AsTask().WaitAsync(RunTimeout);
        await EventuallyAsync("kubectl reports the error", () => Task.FromResult((forward.Stderr.Contains("error forwarding port 9999 to pod", StringComparison.Ordinal), forward.Stderr)));

        Assert.Equal(0, read);
        Assert.Matches($"an error occurred forwarding \\d+ -> 9999: error forwarding port 9999 to pod {ns}/quiet, uid {uid}: failed to connect to localhost:9999 inside namespace \\\\\"/run/netns/[^\"]+\\\\\": Connection refused", forward.Stderr);
    }

    [Fact]
    public async Task PortForwardNeedsCreateOnPodsPortforward()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("kubelet-portforward-rbac");
        await RunningPodAsync(ns, "guarded", "exec httpd -f -p 8080");
        (await K("create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", ns)).Succeeded();
        (await K("create", "rolebinding", "readers", "--role=pod-reader", "--user=viewer", "-n", ns)).Succeeded();
        var viewer = UserKubeconfig.Write(Server, Kubectl.WorkDir, "viewer", []);
        await EventuallyAsync("the role applies", async () =>
        {
            var a = await Kubectl.RunAsync(["--kubeconfig", viewer, "auth", "can-i", "get", "pods", "-n", ns], null);
            return (a.Stdout.Trim() == "yes", a.ToString());
        });

        var denied = (await Kubectl.RunAsync(["--kubeconfig", viewer, "port-forward", "pod/guarded", "-n", ns, ":8080"], null)).Failed();

        Assert.Equal($"error: error upgrading connection: pods \"guarded\" is forbidden: User \"viewer\" cannot create resource \"pods/portforward\" in API group \"\" in the namespace \"{ns}\"",
            denied.StderrLines.Last());
    }

    [Fact]
    public async Task CopyInAndOut()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("kubelet-cp");
        await RunningPodAsync(ns, "box", "sleep 3600");
        Kubectl.WriteFile("in.txt", "copied in\nsecond line\n");

        var copyIn = await K("cp", "in.txt", $"{ns}/box:/tmp/in.txt");
        var inside = await K("exec", "box", "-n", ns, "--", "cat", "/tmp/in.txt");
        (await K("exec", "box", "-n", ns, "--", "sh", "-c", "mkdir -p /tmp/d && echo from the pod > /tmp/d/out.txt")).Succeeded();
        var copyOut = await K("cp", $"{ns}/box:/tmp/d/out.txt", "out.txt");
        var copyDir = await K("cp", $"{ns}/box:/tmp/d", "dir");

        copyIn.Succeeded();
        Assert.Equal("copied in\nsecond line\n", inside.Succeeded().Stdout);
        copyOut.Succeeded();
        Assert.Equal("from the pod\n", File.ReadAllText(Path.Combine(Kubectl.WorkDir, "out.txt")));
        copyDir.Succeeded();
        Assert.Equal("from the pod\n", File.ReadAllText(Path.Combine(Kubectl.WorkDir, "dir", "out.txt")));
    }

    [GeneratedRegex(@"^Forwarding from 127\.0\.0\.1:(\d+) -> 8080$")]
    private static partial Regex ForwardingLine();

    [GeneratedRegex(@"^Forwarding from 127\.0\.0\.1:(\d+) -> 9999$")]
    private static partial Regex ForwardingLine9999();
}
