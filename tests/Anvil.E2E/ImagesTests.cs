using System.Diagnostics;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// <c>anvil images</c> on the data dir of a running <c>anvil up</c>, and pods running from
/// <c>anvil.local/&lt;name&gt;:&lt;tag&gt;</c> with the image's ENTRYPOINT/CMD/env/WorkingDir. Skipped (passing with a
/// note) when not root or runc is missing; the mmdebstrap build also needs mmdebstrap.
/// </summary>
public sealed class ImagesTests(AnvilNodeServer server) : E2ETest(server), IClassFixture<AnvilNodeServer>
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(90);

    private static string? Unavailable()
    {
        if (Environment.UserName != "root") return "not root";
        if (!File.Exists("/usr/sbin/runc") && !File.Exists("/usr/bin/runc")) return "runc is not installed";
        if (!File.Exists("/usr/bin/conmon")) return "conmon is not installed";
        return null;
    }

    private static string Overrides => "{\"spec\":{\"nodeName\":\"" + AnvilNodeServer.NodeName + "\",\"terminationGracePeriodSeconds\":1}}";

    /// <summary>Runs <c>anvil images ARGS --data-dir D</c>; (exit code, stdout, stderr).</summary>
    private async Task<(int Code, string Stdout, string Stderr)> AnvilImagesAsync(TimeSpan timeout, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "anvil.dll"));
        psi.ArgumentList.Add("images");
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--data-dir");
        psi.ArgumentList.Add(Server.DataDir);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"anvil images {string.Join(' ', args)} did not finish in {timeout}");
        }
        return (p.ExitCode, await stdout, await stderr);
    }

    private Task WaitPhaseAsync(string ns, string pod, string phase) =>
        EventuallyAsync($"pod {pod} {phase}", async () =>
        {
            var r = await K("get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.phase}");
            return (r.Stdout == phase, r.Stdout + r.Stderr + (await K("get", "pod", pod, "-n", ns, "-o", "yaml")).Stdout);
        }, RunTimeout);

    [Fact]
    public async Task ImportedRootfsRunsAsAnvilLocalImage()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var rootfs = Directory.CreateTempSubdirectory("anvil-e2e-rootfs-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(rootfs, "bin"));
            Directory.CreateDirectory(Path.Combine(rootfs, "etc"));
            File.Copy("/bin/busybox", Path.Combine(rootfs, "bin/busybox"));
            File.CreateSymbolicLink(Path.Combine(rootfs, "bin/cat"), "busybox");
            File.WriteAllText(Path.Combine(rootfs, "etc/greeting"), "hello from an imported rootfs\n");
            var import = await AnvilImagesAsync(TimeSpan.FromSeconds(120), "import", "e2e/greet:1", rootfs);
            Assert.True(import.Code == 0, import.Stderr);
            Assert.StartsWith("imported anvil.local/e2e/greet:1 (sha256:", import.Stdout);
        }
        finally
        {
            Directory.Delete(rootfs, true);
        }
        var list = await AnvilImagesAsync(TimeSpan.FromSeconds(60), "list");
        Assert.Equal(0, list.Code);
        var lines = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+TAG\s+IMAGE ID\s+SIZE\s+CREATED$", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^anvil\.local/e2e/greet\s+1\s+[0-9a-f]{12}\s+\S+B\s+(Less than a second|1 second|\d+ seconds|About a minute) ago$"));

        var ns = await NamespaceAsync("images-import");
        (await K("run", "greet", "-n", ns, "--image=anvil.local/e2e/greet:1", "--restart=Never", "--overrides=" + Overrides, "--command", "--", "/bin/cat", "/etc/greeting")).Succeeded();
        await WaitPhaseAsync(ns, "greet", "Succeeded");
        Assert.Equal("hello from an imported rootfs\n", (await K("logs", "greet", "-n", ns)).Succeeded().Stdout);
        Assert.Matches("^anvil.local/e2e/greet@sha256:[0-9a-f]{64}$", await JsonPathAsync(ns, "pod", "greet", "{.status.containerStatuses[0].imageID}"));

        var missing = await AnvilImagesAsync(TimeSpan.FromSeconds(60), "remove", "e2e/none:1");
        Assert.Equal((1, "anvil: image anvil.local/e2e/none:1 not found\n"), (missing.Code, missing.Stderr));
        (await K("delete", "pod", "greet", "-n", ns)).Succeeded();
    }

    /// <summary>SLOW (runs mmdebstrap: a Debian minbase download and install, tens of seconds or more).</summary>
    [Fact]
    [Trait("Category", "Slow")]
    public async Task BuiltDebianImageRunsWithItsEntrypointCmdEnvAndWorkingDir()
    {
        if (Unavailable() is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        if (!File.Exists("/usr/bin/mmdebstrap")) { Console.WriteLine("skipped: mmdebstrap is not installed"); return; }
        var recipe = Path.Combine(Server.DataDir, "e2e-recipe.yaml");
        File.WriteAllText(recipe, """
            name: e2e/deb
            tag: min
            packages: []
            env: {GREETING: hello}
            entrypoint: ["/bin/sh", "-c"]
            cmd: ["echo $GREETING from $(pwd); cat /etc/debian_version"]
            workingDir: /tmp
            """);
        var build = await AnvilImagesAsync(TimeSpan.FromMinutes(10), "build", "-f", recipe);
        Assert.True(build.Code == 0, build.Stdout + build.Stderr);
        Assert.Contains("built anvil.local/e2e/deb:min (sha256:", build.Stdout);

        var ns = await NamespaceAsync("images-build");
        // No command: ENTRYPOINT + CMD, with the image's env and working dir.
        (await K("run", "cmd", "-n", ns, "--image=anvil.local/e2e/deb:min", "--restart=Never", "--overrides=" + Overrides)).Succeeded();
        // args replace CMD and keep ENTRYPOINT; container env comes after the image's.
        (await K("run", "args", "-n", ns, "--image=anvil.local/e2e/deb:min", "--restart=Never", "--overrides=" + Overrides, "--env=GREETING=bye", "--", "echo $GREETING args")).Succeeded();
        await WaitPhaseAsync(ns, "cmd", "Succeeded");
        await WaitPhaseAsync(ns, "args", "Succeeded");
        Assert.Matches(@"^hello from /tmp\n12\.\d+\n$", (await K("logs", "cmd", "-n", ns)).Succeeded().Stdout);
        Assert.Equal("bye args\n", (await K("logs", "args", "-n", ns)).Succeeded().Stdout);

        // The finished containers still have their overlays: removing the image keeps their files.
        var remove = await AnvilImagesAsync(TimeSpan.FromSeconds(60), "remove", "e2e/deb:min");
        Assert.Equal((0, "removed anvil.local/e2e/deb:min (its files stay until the containers using it are gone)\n"), (remove.Code, remove.Stdout));
        Assert.DoesNotContain("e2e/deb", (await AnvilImagesAsync(TimeSpan.FromSeconds(60), "list")).Stdout);
        (await K("delete", "pod", "cmd", "args", "-n", ns)).Succeeded();
    }
}
