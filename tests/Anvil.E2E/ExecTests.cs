using System.Diagnostics;
using System.Text;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// <c>kubectl exec</c> as users see it: through the API server's pods/exec (WebSocket v5) to the node agent's
/// kubelet API and runc. Skipped (passing with a note) when not root or runc is missing.
/// </summary>
public sealed class ExecTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    /// <summary>A pod with two long-running containers (main, side), running on this node.</summary>
    private async Task<string> RunningPodAsync(string ns, string name)
    {
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: {{name}}}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: [sleep, "3600"]}
              - {name: side, image: busybox, command: [sleep, "3600"]}
            """);
        await ReadyAsync(ns, name, containers: 2);
        return name;
    }

    /// <summary>Waits until the pod runs with all of its <paramref name="containers"/> ready.</summary>
    private Task ReadyAsync(string ns, string name, int containers) =>
        EventuallyAsync($"pod {name} running", async () =>
        {
            var r = await K("get", "pod", name, "-n", ns, "-o", "jsonpath={.status.phase} {.status.containerStatuses[*].ready}");
            return (r.Stdout == "Running " + string.Join(' ', Enumerable.Repeat("true", containers)), r.ToString());
        }, RunTimeout);

    [Fact]
    public async Task EchoPrintsAndExitCodesCarryOver()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("exec-basic");
        var pod = await RunningPodAsync(ns, "shell");

        var hi = (await K("exec", pod, "-n", ns, "-c", "main", "--", "echo", "hi")).Succeeded();
        var split = (await K("exec", pod, "-n", ns, "-c", "main", "--", "sh", "-c", "echo out; echo err >&2")).Succeeded();
        var three = (await K("exec", pod, "-n", ns, "-c", "main", "--", "sh", "-c", "exit 3")).Failed();
        // Without -c, kubectl picks the first container and says so.
        var defaulted = (await K("exec", pod, "-n", ns, "--", "hostname")).Succeeded();

        Assert.Equal("hi\n", hi.Stdout);
        Assert.Equal(("out\n", "err\n"), (split.Stdout, split.Stderr));
        Assert.Equal(3, three.ExitCode);
        Assert.Equal("command terminated with exit code 3", three.StderrLines.Last());
        Assert.Equal(pod + "\n", defaulted.Stdout);
        Assert.Equal("Defaulted container \"main\" out of: main, side", defaulted.StderrLines.First());
    }

    [Fact]
    public async Task ThePodsOwnEtcFilesAreWritableUnlessTheRootIsReadOnly()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("exec-etc");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: files}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: [sleep, "3600"]}
              - {name: locked, image: busybox, command: [sleep, "3600"], securityContext: {readOnlyRootFilesystem: true} }
            """);
        await ReadyAsync(ns, "files", containers: 2);

        // As the kubelet mounts them: /etc/hostname is the pod's name; /etc/hosts and /etc/resolv.conf may be changed.
        Assert.Equal("files\n", (await K("exec", "files", "-n", ns, "-c", "main", "--", "cat", "/etc/hostname")).Succeeded().Stdout);
        (await K("exec", "files", "-n", ns, "-c", "main", "--", "sh", "-c", "echo '10.0.0.9 extra' >> /etc/hosts && touch /made")).Succeeded();
        Assert.Equal("10.0.0.9 extra\n", (await K("exec", "files", "-n", ns, "-c", "main", "--", "tail", "-n", "1", "/etc/hosts")).Succeeded().Stdout);

        // readOnlyRootFilesystem: neither the root nor those files can be written.
        var root = await K("exec", "files", "-n", ns, "-c", "locked", "--", "touch", "/made");
        Assert.Equal(1, root.ExitCode);
        Assert.Contains("touch: /made: Read-only file system", root.Stderr);
        var hosts = await K("exec", "files", "-n", ns, "-c", "locked", "--", "sh", "-c", "echo x >> /etc/hosts");
        Assert.Equal(1, hosts.ExitCode);
        Assert.Contains("Read-only file system", hosts.Stderr);
        Assert.Equal("files\n", (await K("exec", "files", "-n", ns, "-c", "locked", "--", "cat", "/etc/hostname")).Succeeded().Stdout);
    }

    [Fact]
    public async Task ContainersSeeServiceVariables()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("exec-svcenv");
        await CreateAsync(ns, """
            apiVersion: v1
            kind: Service
            metadata: {name: my-svc}
            spec:
              selector: {app: none}
              ports:
              - {name: http, port: 80, targetPort: 8080}
              - {name: dns-udp, port: 53, protocol: UDP}
            ---
            apiVersion: v1
            kind: Service
            metadata: {name: headless}
            spec:
              clusterIP: None
              selector: {app: none}
              ports: [{port: 80}]
            """);
        var ip = await JsonPathAsync(ns, "service", "my-svc", "{.spec.clusterIP}");
        var master = await JsonPathAsync("default", "service", "kubernetes", "{.spec.clusterIP}");
        foreach (var (name, links) in new[] { ("linked", "true"), ("unlinked", "false") })
            await CreateAsync(ns, $$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: {{name}}}
                spec:
                  nodeName: {{AnvilNodeServer.NodeName}}
                  enableServiceLinks: {{links}}
                  terminationGracePeriodSeconds: 1
                  containers:
                  - name: main
                    image: busybox
                    command: [sh, -c, "echo '$(MY_SVC_SERVICE_HOST)' > /tmp/arg; sleep 3600"]
                    env: [{name: MY_SVC_SERVICE_PORT_HTTP, value: own}, {name: URL, value: "http://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)"}]
                """);
        foreach (var name in new[] { "linked", "unlinked" })
            await ReadyAsync(ns, name, containers: 1);

        async Task<List<string>> Env(string pod) =>
            [.. (await K("exec", pod, "-n", ns, "--", "env")).Succeeded().Stdout.Split('\n')
                .Where(l => l.StartsWith("KUBERNETES_", StringComparison.Ordinal) || l.StartsWith("MY_SVC_", StringComparison.Ordinal)
                    || l.StartsWith("HEADLESS_", StringComparison.Ordinal) || l.StartsWith("URL=", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal)];
        string[] kubernetes =
        [
            $"KUBERNETES_PORT=tcp://{master}:443", $"KUBERNETES_PORT_443_TCP=tcp://{master}:443", $"KUBERNETES_PORT_443_TCP_ADDR={master}",
            "KUBERNETES_PORT_443_TCP_PORT=443", "KUBERNETES_PORT_443_TCP_PROTO=tcp", $"KUBERNETES_SERVICE_HOST={master}",
            "KUBERNETES_SERVICE_PORT=443", "KUBERNETES_SERVICE_PORT_HTTPS=443",
        ];
        string[] mySvc =
        [
            $"MY_SVC_PORT=tcp://{ip}:80", $"MY_SVC_PORT_53_UDP=udp://{ip}:53", $"MY_SVC_PORT_53_UDP_ADDR={ip}", "MY_SVC_PORT_53_UDP_PORT=53",
            "MY_SVC_PORT_53_UDP_PROTO=udp", $"MY_SVC_PORT_80_TCP=tcp://{ip}:80", $"MY_SVC_PORT_80_TCP_ADDR={ip}", "MY_SVC_PORT_80_TCP_PORT=80",
            "MY_SVC_PORT_80_TCP_PROTO=tcp", $"MY_SVC_SERVICE_HOST={ip}", "MY_SVC_SERVICE_PORT=80", "MY_SVC_SERVICE_PORT_DNS_UDP=53",
            "MY_SVC_SERVICE_PORT_HTTP=own",
        ];
        var url = $"URL=http://{master}:443";
        Assert.Equal([.. kubernetes.Concat(mySvc).Append(url).Order(StringComparer.Ordinal)], await Env("linked"));
        Assert.Equal([.. kubernetes.Append("MY_SVC_SERVICE_PORT_HTTP=own").Append(url).Order(StringComparer.Ordinal)], await Env("unlinked"));
        // $(VAR) in the command sees them too; without service links the reference stays as written.
        Assert.Equal(ip + "\n", (await K("exec", "linked", "-n", ns, "--", "cat", "/tmp/arg")).Succeeded().Stdout);
        Assert.Equal("$(MY_SVC_SERVICE_HOST)\n", (await K("exec", "unlinked", "-n", ns, "--", "cat", "/tmp/arg")).Succeeded().Stdout);
    }

    [Fact]
    public async Task StdinIsPipedToTheCommand()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("exec-stdin");
        var pod = await RunningPodAsync(ns, "cat");

        var r = (await KWithInput("one\ntwo\n", "exec", "-i", pod, "-n", ns, "-c", "side", "--", "sh", "-c", "cat; echo done")).Succeeded();
        var counted = (await KWithInput("a b c\n", "exec", "-i", pod, "-n", ns, "-c", "side", "--", "wc", "-w")).Succeeded();

        Assert.Equal("one\ntwo\ndone\n", r.Stdout);
        Assert.Equal("3", counted.Stdout.Trim());
    }

    [Fact]
    public async Task TtyGivesATerminalOfTheClientsSize()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        if (!File.Exists("/usr/bin/script")) { Console.WriteLine("skipped: script (util-linux) is not installed"); return; }
        var ns = await NamespaceAsync("exec-tty");
        var pod = await RunningPodAsync(ns, "term");

        // kubectl wants a terminal on its stdin for -t: script(1) gives it one, sized 40x120.
        var (code, output) = await InTerminalAsync(40, 120, "exec", "-it", pod, "-n", ns, "-c", "main", "--", "sh", "-c", "tty; stty size; exit 5");

        var lines = output.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == 5, $"exit code {code}\n{output}");
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^/dev/pts/[0-9]+$"));
        Assert.Contains("40 120", lines);
        Assert.Equal("command terminated with exit code 5", lines.Last());
    }

    [Fact]
    public async Task ContainerSelectionAndErrors()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("exec-errors");
        var pod = await RunningPodAsync(ns, "two");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: half}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: [sleep, "3600"]}
              - {name: quick, image: busybox, command: ["true"]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: done}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              restartPolicy: Never
              containers:
              - {name: main, image: busybox, command: ["true"]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: unscheduled}
            spec:
              nodeSelector: {exec-tests: nowhere}
              containers:
              - {name: main, image: busybox}
            """);
        await EventuallyAsync("pods half (quick exited) and done (Succeeded)", async () =>
        {
            var half = await K("get", "pod", "half", "-n", ns, "-o", "jsonpath={.status.containerStatuses[?(@.name==\"quick\")].state.terminated.reason}");
            var done = await K("get", "pod", "done", "-n", ns, "-o", "jsonpath={.status.phase}");
            return (half.Stdout == "Completed" && done.Stdout == "Succeeded", half + "\n" + done);
        }, RunTimeout);

        var side = (await K("exec", pod, "-n", ns, "-c", "side", "--", "sh", "-c", "echo side")).Succeeded();
        var wrong = (await K("exec", pod, "-n", ns, "-c", "nope", "--", "true")).Failed();
        var missing = (await K("exec", "ghost", "-n", ns, "--", "true")).Failed();
        var exited = (await K("exec", "half", "-n", ns, "-c", "quick", "--", "true")).Failed();
        var completed = (await K("exec", "done", "-n", ns, "--", "true")).Failed();
        var pending = (await K("exec", "unscheduled", "-n", ns, "--", "true")).Failed();

        Assert.Equal("side\n", side.Stdout);
        Assert.Equal($"Error from server (BadRequest): container nope is not valid for pod {pod}", wrong.StderrLines.Last());
        Assert.Equal("Error from server (NotFound): pods \"ghost\" not found", missing.StderrLines.Last());
        Assert.Equal("error: unable to upgrade connection: container not found (\"quick\")", exited.StderrLines.Last());
        Assert.Equal("error: cannot exec into a container in a completed pod; current phase is Succeeded", completed.StderrLines.Last());
        Assert.Equal("Error from server (BadRequest): pod unscheduled does not have a host assigned", pending.StderrLines.Last());
    }

    [Fact]
    public async Task ExecNeedsCreateOnPodsExec()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("exec-rbac");
        var pod = await RunningPodAsync(ns, "guarded");
        (await K("create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", ns)).Succeeded();
        (await K("create", "rolebinding", "readers", "--role=pod-reader", "--user=viewer", "-n", ns)).Succeeded();
        // get on pods/exec alone is not enough either: the WebSocket upgrade is a GET, but opens a session.
        (await K("create", "role", "exec-getter", "--verb=get", "--resource=pods/exec", "-n", ns)).Succeeded();
        (await K("create", "rolebinding", "getters", "--role=exec-getter", "--user=getter", "-n", ns)).Succeeded();
        (await K("create", "rolebinding", "getters-read", "--role=pod-reader", "--user=getter", "-n", ns)).Succeeded();
        var viewer = UserKubeconfig.Write(Server, Kubectl.WorkDir, "viewer", []);
        var getter = UserKubeconfig.Write(Server, Kubectl.WorkDir, "getter", []);
        await EventuallyAsync("the roles apply", async () =>
        {
            var a = await Kubectl.RunAsync(["--kubeconfig", viewer, "auth", "can-i", "get", "pods", "-n", ns], null);
            var b = await Kubectl.RunAsync(["--kubeconfig", getter, "auth", "can-i", "get", "pods", "--subresource=exec", "-n", ns], null);
            return (a.Stdout.Trim() == "yes" && b.Stdout.Trim() == "yes", a + "\n" + b);
        });

        var denied = (await Kubectl.RunAsync(["--kubeconfig", viewer, "exec", pod, "-n", ns, "-c", "main", "--", "true"], null)).Failed();
        var alsoDenied = (await Kubectl.RunAsync(["--kubeconfig", getter, "exec", pod, "-n", ns, "-c", "main", "--", "true"], null)).Failed();

        Assert.Equal($"Error from server (Forbidden): pods \"{pod}\" is forbidden: User \"viewer\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"{ns}\"", denied.StderrLines.Last());
        Assert.Equal($"Error from server (Forbidden): pods \"{pod}\" is forbidden: User \"getter\" cannot create resource \"pods/exec\" in API group \"\" in the namespace \"{ns}\"", alsoDenied.StderrLines.Last());
    }

    /// <summary>
    /// Runs kubectl under script(1), which gives it a pseudo-terminal of the given size; returns the exit code and
    /// everything the terminal showed.
    /// </summary>
    private async Task<(int Code, string Output)> InTerminalAsync(int rows, int cols, params string[] args)
    {
        static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
        var command = $"stty rows {rows} cols {cols}; exec {Quote(Kubectl.Executable)} --kubeconfig {Quote(Server.KubeconfigPath)} {string.Join(' ', args.Select(Quote))}";
        var psi = new ProcessStartInfo("/usr/bin/script") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false, WorkingDirectory = Kubectl.WorkDir };
        foreach (var a in new[] { "-qec", command, "/dev/null" }) psi.ArgumentList.Add(a);
        psi.Environment["HOME"] = Path.Combine(Kubectl.WorkDir, "home");
        psi.Environment["KUBECACHEDIR"] = Path.Combine(Kubectl.WorkDir, "cache");
        psi.Environment.Remove("KUBECONFIG");
        psi.Environment["TERM"] = "dumb";
        psi.Environment["LC_ALL"] = "C";
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(RunTimeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new Xunit.Sdk.XunitException($"kubectl in a terminal did not finish within {RunTimeout.TotalSeconds:0} s");
        }
        return (p.ExitCode, await output + await errors);
    }
}
