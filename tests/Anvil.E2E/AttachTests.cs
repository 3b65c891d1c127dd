using System.Diagnostics;
using System.Text;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// <c>kubectl attach</c> and <c>kubectl run -i/-it</c> as users see them: through the API server's pods/attach (WebSocket v5)
/// to the node agent's kubelet API and conmon's attach socket. Skipped (passing with a note) when not root or runc is missing.
/// </summary>
public sealed class AttachTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);
    private const string Prompt = "If you don't see a command prompt, try pressing enter.";

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    private async Task RunningAsync(string ns, string name)
    {
        await EventuallyAsync($"pod {name} running", async () =>
        {
            var r = await K("get", "pod", name, "-n", ns, "-o", "jsonpath={.status.phase}");
            return (r.Stdout == "Running", r.ToString());
        }, RunTimeout);
    }

    [Fact]
    public async Task RunWithStdinPipesInputAndCarriesTheExitCode()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("attach-run");

        var ok = await Kubectl.RunAsync(["run", "reader", "-n", ns, "-i", "--rm", "--restart=Never", "--image=busybox", "--", "sh", "-c", "read x; echo got $x"], "hello\n", RunTimeout);
        var failed = await Kubectl.RunAsync(["run", "failing", "-n", ns, "-i", "--restart=Never", "--image=busybox", "--", "sh", "-c", "read x; echo got $x; exit 3"], "there\n", RunTimeout);

        Assert.True(ok.ExitCode == 0, ok.ToString());
        Assert.Equal(["got hello", "pod \"reader\" deleted"], ok.StdoutLines);
        Assert.Equal([Prompt], ok.StderrLines);
        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.Equal(["got there"], failed.StdoutLines);
        Assert.Equal([Prompt, $"pod {ns}/failing terminated (Error)"], failed.StderrLines.Where(l => l.Length > 0));
        // The pod that ran with --rm is gone; the other one stays, and its spec asked for stdin once.
        await EventuallyGoneAsync(ns, "pod", "reader");
        Assert.Equal("true true x", await JsonPathAsync(ns, "pod", "failing", "{.spec.containers[0].stdin} {.spec.containers[0].stdinOnce} {.spec.containers[0].tty}x"));
    }

    [Fact]
    public async Task AttachReceivesTheOutputOfARunningContainer()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("attach-output");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: ticker}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: main
                image: busybox
                command: [sh, -c, 'i=0; while [ ! -e /tmp/stop ]; do echo tick $i; i=$((i+1)); sleep 0.3; done; echo bye; echo bye-err >&2']
            """);
        await RunningAsync(ns, "ticker");

        using var attach = Kubectl.Start("attach", "ticker", "-n", ns);
        var tick = await attach.WaitForLineAsync(l => l.StartsWith("tick ", StringComparison.Ordinal), RunTimeout);
        (await K("exec", "ticker", "-n", ns, "--", "touch", "/tmp/stop")).Succeeded();
        var (code, rest) = await attach.WaitForExitAsync(RunTimeout);

        Assert.Matches("^tick [0-9]+$", tick);
        Assert.True(code == 0, attach.Describe());
        Assert.Equal("bye", rest.Last());
        Assert.All(rest.SkipLast(1), l => Assert.Matches("^tick [0-9]+$", l));
        var stderr = attach.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([Prompt, "bye-err"], stderr);
        Assert.Equal("Succeeded", await JsonPathAsync(ns, "pod", "ticker", "{.status.phase}") is var phase && phase == "Running" ? await EventualPhaseAsync(ns, "ticker") : phase);
    }

    private async Task<string> EventualPhaseAsync(string ns, string pod)
    {
        var phase = "";
        await EventuallyAsync($"pod {pod} completed", async () =>
        {
            phase = await JsonPathAsync(ns, "pod", pod, "{.status.phase}");
            return (phase is "Succeeded" or "Failed", phase);
        }, RunTimeout);
        return phase;
    }

    [Fact]
    public async Task AttachNeedsCreateOnPodsAttach()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("attach-rbac");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: guarded}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: [sleep, "3600"]}
            """);
        await RunningAsync(ns, "guarded");
        (await K("create", "role", "pod-reader", "--verb=get,list", "--resource=pods", "-n", ns)).Succeeded();
        (await K("create", "rolebinding", "readers", "--role=pod-reader", "--user=viewer", "-n", ns)).Succeeded();
        (await K("create", "role", "attacher", "--verb=create", "--resource=pods/attach", "-n", ns)).Succeeded();
        (await K("create", "rolebinding", "attachers", "--role=attacher", "--user=attacher", "-n", ns)).Succeeded();
        (await K("create", "rolebinding", "attachers-read", "--role=pod-reader", "--user=attacher", "-n", ns)).Succeeded();
        var viewer = UserKubeconfig.Write(Server, Kubectl.WorkDir, "viewer", []);
        var attacher = UserKubeconfig.Write(Server, Kubectl.WorkDir, "attacher", []);
        await EventuallyAsync("the roles apply", async () =>
        {
            var a = await Kubectl.RunAsync(["--kubeconfig", viewer, "auth", "can-i", "get", "pods", "-n", ns], null);
            var b = await Kubectl.RunAsync(["--kubeconfig", attacher, "auth", "can-i", "create", "pods", "--subresource=attach", "-n", ns], null);
            return (a.Stdout.Trim() == "yes" && b.Stdout.Trim() == "yes", a + "\n" + b);
        });

        var denied = (await Kubectl.RunAsync(["--kubeconfig", viewer, "attach", "guarded", "-n", ns], null)).Failed();
        // With create on pods/attach the session opens; sleep prints nothing, so it lasts until kubectl is stopped.
        using var allowed = new Kubectl(Server).Start("--kubeconfig", attacher, "attach", "guarded", "-n", ns);

        Assert.Equal($"Error from server (Forbidden): pods \"guarded\" is forbidden: User \"viewer\" cannot create resource \"pods/attach\" in API group \"\" in the namespace \"{ns}\"", denied.StderrLines.Last());
        await EventuallyAsync("the allowed attach is open", () => Task.FromResult((allowed.Stderr.Contains(Prompt, StringComparison.Ordinal), allowed.Describe())));
    }

    [Fact]
    public async Task RunWithATerminal()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        if (!File.Exists("/usr/bin/script")) { Console.WriteLine("skipped: script (util-linux) is not installed"); return; }
        var ns = await NamespaceAsync("attach-tty");

        // kubectl wants a terminal for -t: script(1) gives it one, sized 40x120. The first line is typed once kubectl has
        // attached; the second once the first has been read, when kubectl has long sent the terminal's size (it sends
        // one larger size first, so that programs redraw).
        var (code, output) = await InTerminalAsync(40, 120, [(Prompt, "abc\r"), ("got abc", "\r")],
            "run", "term", "-n", ns, "-it", "--rm", "--restart=Never", "--image=busybox", "--", "sh", "-c", "read x; echo got $x; read y; tty; stty size; exit 5");

        var lines = output.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == 5, $"exit code {code}\n{output}");
        Assert.Contains(Prompt, lines);
        Assert.Contains("got abc", lines);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, "^/dev/pts/[0-9]+$"));
        Assert.Contains("40 120", lines);
        Assert.Contains("pod \"term\" deleted", lines);
        Assert.Equal($"pod {ns}/term terminated (Error)", lines.Last());
    }

    [Fact]
    public async Task DebugRunsAnEphemeralContainerInTheTargetsProcessNamespace()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var ns = await NamespaceAsync("debug");
        (await K("run", "web", "-n", ns, "--image=busybox", "--", "sleep", "3600")).Succeeded();
        await RunningAsync(ns, "web");

        // As users run it: kubectl debug -i waits for the ephemeral container to run, then attaches to it. Without
        // stdinOnce the end of the piped input ends the attach at once (CRI-O's rule), so the output is read from the log.
        var debug = await Kubectl.RunAsync(["debug", "web", "-n", ns, "-i", "--image=busybox", "--target=web", "-c", "dbg", "--", "sh"],
            "ps -o pid,args; exit\n", RunTimeout);
        Assert.True(debug.ExitCode == 0, debug.ToString());
        await EventuallyAsync("dbg terminated", async () =>
        {
            var r = await K("get", "pod", "web", "-n", ns, "-o", "jsonpath={.status.ephemeralContainerStatuses[0].state.terminated.exitCode}");
            return (r.Stdout == "0", r.ToString());
        }, RunTimeout);
        var logs = (await K("logs", "web", "-n", ns, "-c", "dbg")).Succeeded();
        Assert.True(logs.StdoutLines.Select(l => l.Trim()).Contains("1 sleep 3600"), logs.ToString()); // the target's init is this one's pid 1

        // Without a target it has a process namespace of its own; its output is in kubectl logs -c.
        (await K("debug", "web", "-n", ns, "--image=busybox", "-c", "own", "--", "sh", "-c", "ps -o pid,args")).Succeeded();
        await EventuallyAsync("both ephemeral containers terminated", async () =>
        {
            var r = await K("get", "pod", "web", "-n", ns, "-o", "jsonpath={.status.ephemeralContainerStatuses[*].state.terminated.exitCode}");
            return (r.Stdout == "0 0", r.ToString());
        }, RunTimeout);
        // busybox sh runs its last command in its own place: ps is pid 1, and the target's sleep is not there.
        Assert.Equal(["PID   COMMAND", "1 {ps} sh -c ps -o pid,args"], (await K("logs", "web", "-n", ns, "-c", "own")).Succeeded().StdoutLines.Select(l => l.Trim()));

        // Never ready, never restarted, and the pod itself is unaffected.
        Assert.Equal("dbg own false false 0 0 Running true", await JsonPathAsync(ns, "pod", "web",
            "{.status.ephemeralContainerStatuses[*].name} {.status.ephemeralContainerStatuses[*].ready} {.status.ephemeralContainerStatuses[*].restartCount} {.status.phase} {.status.containerStatuses[0].ready}"));
    }

    [Fact]
    public async Task AttachWithATerminalToAShell()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        if (!File.Exists("/usr/bin/script")) { Console.WriteLine("skipped: script (util-linux) is not installed"); return; }
        var ns = await NamespaceAsync("attach-shell");
        await CreateAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: shell}
            spec:
              nodeName: {{AnvilNodeServer.NodeName}}
              terminationGracePeriodSeconds: 1
              containers:
              - {name: main, image: busybox, command: [sh], stdin: true, tty: true}
            """);
        await RunningAsync(ns, "shell");

        var (code, output) = await InTerminalAsync(30, 90, [(Prompt, "echo hi-$((1+2))\r"), ("hi-3", "exit 7\r")], "attach", "-it", "shell", "-n", ns);

        var lines = output.Replace("\r", "", StringComparison.Ordinal).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(code == 0, $"exit code {code}\n{output}");
        Assert.Contains("hi-3", lines);
        Assert.True("Session ended, resume using 'kubectl attach shell -c main -i -t' command when the pod is running" == lines.Last(), output);
        // kubectl prints how to come back only for pods that restart their containers (restartPolicy Always); this one does.
        await EventuallyAsync("the shell's exit recorded", async () =>
        {
            var last = await JsonPathAsync(ns, "pod", "shell", "{.status.containerStatuses[0].lastState.terminated.exitCode}");
            return (last == "7", last);
        }, RunTimeout);
    }

    /// <summary>
    /// Runs kubectl under script(1), which gives it a pseudo-terminal of the given size; types each input once the terminal
    /// has shown its text; returns the exit code and everything the terminal showed.
    /// </summary>
    private async Task<(int Code, string Output)> InTerminalAsync(int rows, int cols, (string After, string Input)[] typing, params string[] args)
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
        var output = new StringBuilder();
        var shown = typing.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        async Task ReadAsync(StreamReader from)
        {
            var buffer = new char[4096];
            int n;
            while ((n = await from.ReadAsync(buffer)) > 0)
                lock (output)
                {
                    output.Append(buffer, 0, n);
                    var text = output.ToString();
                    for (var i = 0; i < typing.Length; i++)
                        if (text.Contains(typing[i].After, StringComparison.Ordinal)) shown[i].TrySetResult();
                }
        }
        var reading = Task.WhenAll(ReadAsync(p.StandardOutput), ReadAsync(p.StandardError));
        using var cts = new CancellationTokenSource(RunTimeout);
        try
        {
            for (var i = 0; i < typing.Length; i++)
            {
                await shown[i].Task.WaitAsync(cts.Token);
                await p.StandardInput.WriteAsync(typing[i].Input);
                await p.StandardInput.FlushAsync();
            }
            await p.WaitForExitAsync(cts.Token);
            await reading.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            lock (output) throw new Xunit.Sdk.XunitException($"kubectl in a terminal did not finish within {RunTimeout.TotalSeconds:0} s\n{output}");
        }
        lock (output) return (p.ExitCode, output.ToString());
    }
}
