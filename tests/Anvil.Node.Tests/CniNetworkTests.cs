using Anvil.Node.Logs;
using Anvil.Node.Network;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>Real netns, CNI bridge/host-local/loopback and runc; skipped (passing with a message) when not root or a tool is missing.</summary>
public sealed class CniNetworkTests(PodNetworkFixture f) : IClassFixture<PodNetworkFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private static PodSandboxConfig Pod(string uid, string name) => new(uid, "team-a", name, name);

    [Fact]
    public async Task SandboxGetsAnAddressSurvivesARestartAndIsRemoved()
    {
        if (PodNetworkFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var uid = "sb1-" + Guid.NewGuid().ToString("N")[..8];
        await f.Runtime.RunPodSandboxAsync(Pod(uid, "web"), CancellationToken.None);
        var ip = await f.Runtime.PodSandboxIPAsync(uid, CancellationToken.None);
        Assert.NotNull(ip);
        Assert.True(CniConfig.Contains(f.Options.PodCidr, ip!), $"{ip} not in {f.Options.PodCidr}");
        Assert.True(File.Exists("/run/netns/" + f.Network.NetnsName(uid)));
        var sandbox = f.Network.Get(uid)!;
        Assert.Equal(PodFiles.Hosts(ip!, "web"), await File.ReadAllTextAsync(sandbox.HostsPath));
        Assert.Contains("search team-a.svc.cluster.local svc.cluster.local cluster.local\n", await File.ReadAllTextAsync(sandbox.ResolvConfPath));
        // lo is up with its addresses (set up with the namespace, not by the loopback plugin).
        var (code, lo, err) = await HostCommand.RunAsync("ip", ["netns", "exec", f.Network.NetnsName(uid), "ip", "-o", "addr", "show", "dev", "lo"], CancellationToken.None);
        Assert.True(code == 0, err);
        Assert.Contains("inet 127.0.0.1/8", lo);
        var (_, link, _) = await HostCommand.RunAsync("ip", ["netns", "exec", f.Network.NetnsName(uid), "ip", "-o", "link", "show", "dev", "lo"], CancellationToken.None);
        Assert.Contains("UP", link.Split('<', '>')[1].Split(','));
        // Masquerade is the node's one rule, not a CNI chain per pod.
        Assert.True(sandbox.NodeMasquerade);
        var nat = await NatRulesAsync();
        Assert.Contains($"-A POSTROUTING -s {CniConfig.NormalizeCidr(f.Options.PodCidr)} -m comment --comment \"name: \\\"anvil\\\" id: \\\"{f.Prefix}-masquerade\\\"\" -j {CniConfig.MasqueradeChain(f.Options)}", nat);
        Assert.DoesNotContain($"id: \\\"{f.Network.NetnsName(uid)}\\\"", nat);

        // Idempotent, and a new agent (new runtime object on the same data dir) adopts the same sandbox.
        await f.Runtime.RunPodSandboxAsync(Pod(uid, "web"), CancellationToken.None);
        var restarted = new RuncRuntime(f.Dir, f.Prefix, new CniNetwork(f.Dir, f.Options));
        await restarted.RunPodSandboxAsync(Pod(uid, "web"), CancellationToken.None);
        Assert.Equal(ip, await restarted.PodSandboxIPAsync(uid, CancellationToken.None));
        Assert.Contains(uid, await restarted.ListPodSandboxesAsync(CancellationToken.None));

        await restarted.StopPodSandboxAsync(uid, CancellationToken.None);
        Assert.False(File.Exists("/run/netns/" + f.Network.NetnsName(uid)));
        Assert.Null(await f.Runtime.PodSandboxIPAsync(uid, CancellationToken.None));
        await restarted.StopPodSandboxAsync(uid, CancellationToken.None);
        // host-local released the address: no reservation file names it any more.
        var reserved = Directory.Exists(Path.Combine(f.Dir, "cni", "networks", "anvil"))
            ? Directory.GetFiles(Path.Combine(f.Dir, "cni", "networks", "anvil")).Select(Path.GetFileName).ToList() : [];
        Assert.DoesNotContain(ip, reserved);
    }

    [Fact]
    public async Task FailedNetworkRemovesTheContainerCreatedMeanwhileAndIsRetried()
    {
        if (PodNetworkFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var rootfs = await f.Images.EnsureAsync("busybox", CancellationToken.None);
        Assert.NotNull(rootfs);
        // A bridge plugin that fails the way CNI plugins do (error JSON on stdout); loopback and host-local are the real ones.
        var bin = Directory.CreateTempSubdirectory("anvil-cni-bin-").FullName;
        try
        {
            File.CreateSymbolicLink(Path.Combine(bin, "loopback"), Path.Combine(f.Options.CniBinDir, "loopback"));
            File.CreateSymbolicLink(Path.Combine(bin, "host-local"), Path.Combine(f.Options.CniBinDir, "host-local"));
            await File.WriteAllTextAsync(Path.Combine(bin, "bridge"), "#!/bin/sh\ncat >/dev/null\necho '{\"code\":11,\"msg\":\"no bridge today\"}'\nexit 1\n");
            File.SetUnixFileMode(Path.Combine(bin, "bridge"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            var network = new CniNetwork(f.Dir, f.Options with { CniBinDir = bin });
            var runtime = new RuncRuntime(f.Dir, f.Prefix, network);
            var uid = "bad-" + Guid.NewGuid().ToString("N")[..8];
            await runtime.RunPodSandboxAsync(Pod(uid, "bad"), CancellationToken.None);
            var e = await Assert.ThrowsAsync<IOException>(() => runtime.CreateContainerAsync(new ContainerConfig(uid, "team-a", "bad", "c", 0, "busybox", rootfs!,
                ["sleep", "60"], []), CancellationToken.None));
            Assert.Equal("setting up the pod network failed: CNI bridge ADD failed: no bridge today", e.Message);
            Assert.Empty(await runtime.ListContainersAsync(uid, CancellationToken.None));
            Assert.Equal("CNI bridge ADD failed: no bridge today",
                (await Assert.ThrowsAsync<IOException>(() => runtime.PodSandboxIPAsync(uid, CancellationToken.None))).Message);
            Assert.False(File.Exists("/run/netns/" + network.NetnsName(uid)));
            Assert.Null(network.Get(uid));
            // The next sync sets the sandbox up again (and fails again here).
            await runtime.RunPodSandboxAsync(Pod(uid, "bad"), CancellationToken.None);
            await Assert.ThrowsAsync<IOException>(() => runtime.PodSandboxIPAsync(uid, CancellationToken.None));
            await runtime.StopPodSandboxAsync(uid, CancellationToken.None);
        }
        finally
        {
            Directory.Delete(bin, true);
        }
    }

    [Fact]
    public async Task NamedNetworkNamespaceIsANewOneAndLeavesThisProcessWhereItWas()
    {
        if (PodNetworkFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var name = f.Prefix + "-ns-" + Guid.NewGuid().ToString("N")[..6];
        var mine = new FileInfo("/proc/self/ns/net").LinkTarget;
        try
        {
            await NetNamespace.AddAsync(name, CancellationToken.None);
            await NetNamespace.AddAsync(name, CancellationToken.None);
            var psi = new System.Diagnostics.ProcessStartInfo("ip", ["netns", "exec", name, "readlink", "/proc/self/ns/net"]) { RedirectStandardOutput = true };
            using var p = System.Diagnostics.Process.Start(psi)!;
            var pinned = (await p.StandardOutput.ReadToEndAsync()).Trim();
            await p.WaitForExitAsync();
            Assert.StartsWith("net:[", pinned);
            Assert.NotEqual(mine, pinned);
            Assert.Equal(mine, new FileInfo("/proc/self/ns/net").LinkTarget);
            // The thread that made it has ended: no thread of this process is left in the pod's namespace.
            string[] Others() => Directory.GetDirectories("/proc/self/task").Select(t => new FileInfo(t + "/ns/net").LinkTarget ?? mine)
                .Where(ns => ns != mine).ToArray()!;
            for (var i = 0; i < 100 && Others().Length > 0; i++) await Task.Delay(20);
            Assert.Empty(Others());
        }
        finally
        {
            NetNamespace.Delete(name);
        }
        Assert.False(File.Exists(NetNamespace.PathOf(name)));
        NetNamespace.Delete(name);
    }

    private static async Task<string> NatRulesAsync()
    {
        var psi = new System.Diagnostics.ProcessStartInfo("iptables-save", ["-t", "nat"]) { RedirectStandardOutput = true };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var text = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return text;
    }

    [Fact]
    public async Task ContainersJoinThePodNetworkAndReachEachOther()
    {
        if (PodNetworkFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var rootfs = await f.Images.EnsureAsync("busybox", CancellationToken.None);
        Assert.NotNull(rootfs);
        var server = "srv-" + Guid.NewGuid().ToString("N")[..8];
        var client = "cli-" + Guid.NewGuid().ToString("N")[..8];
        await f.Runtime.RunPodSandboxAsync(Pod(server, "server"), CancellationToken.None);
        await f.Runtime.RunPodSandboxAsync(Pod(client, "client"), CancellationToken.None);
        var serverIP = (await f.Runtime.PodSandboxIPAsync(server, CancellationToken.None))!;
        var httpd = await f.Runtime.CreateContainerAsync(new ContainerConfig(server, "team-a", "server", "httpd", 0, "busybox", rootfs!,
            ["sh", "-c", "mkdir -p /www && echo hello-from-server > /www/index.html && exec httpd -f -p 8080 -h /www"], []), CancellationToken.None);
        await f.Runtime.StartContainerAsync(httpd, CancellationToken.None);
        // The client retries: httpd may not listen yet.
        var wget = await f.Runtime.CreateContainerAsync(new ContainerConfig(client, "team-a", "client", "wget", 0, "busybox", rootfs!,
            ["sh", "-c", $"cat /etc/hosts; ip -4 -o addr show eth0; for i in $(seq 1 50); do wget -qO- http://{serverIP}:8080/ && exit 0; sleep 0.2; done; exit 1"], []),
            CancellationToken.None);
        await f.Runtime.StartContainerAsync(wget, CancellationToken.None);
        var deadline = DateTime.UtcNow + Timeout;
        ContainerStatus s;
        while ((s = (await f.Runtime.ContainerStatusAsync(wget, CancellationToken.None))!).State != ContainerState.Exited)
        {
            Assert.True(DateTime.UtcNow < deadline, "wget still running");
            await Task.Delay(100);
        }
        var output = string.Join("\n", CriLog.Parse(await File.ReadAllLinesAsync(s.LogPath)).Select(l => l.Text));
        var clientIP = (await f.Runtime.PodSandboxIPAsync(client, CancellationToken.None))!;
        Assert.True(s.ExitCode == 0, output);
        Assert.Contains($"{clientIP}\tclient", output);
        Assert.Contains($"inet {clientIP}/", output);
        Assert.Contains("hello-from-server", output);
        await f.Runtime.StopPodSandboxAsync(server, CancellationToken.None);
        await f.Runtime.StopPodSandboxAsync(client, CancellationToken.None);
    }
}
