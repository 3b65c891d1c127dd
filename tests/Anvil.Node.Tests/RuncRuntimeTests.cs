using Anvil.Node.Logs;
using Anvil.Node.Runtime;

namespace Anvil.Node.Tests;

/// <summary>Real runc and conmon; skipped (passing with a message on stdout) only when not root or runc is missing.</summary>
public sealed class RuncRuntimeTests(RuntimeFixture f) : IClassFixture<RuntimeFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private async Task<ContainerConfig> ConfigAsync(string name, string script, ContainerResources? resources = null)
    {
        var rootfs = await f.Images.EnsureAsync("busybox", CancellationToken.None);
        Assert.NotNull(rootfs);
        return new ContainerConfig("pod-" + f.Prefix, "ns", "p", name, 0, "busybox", rootfs!, ["sh", "-c", script], ["GREETING=hello"], Resources: resources);
    }

    private async Task<ContainerStatus> WaitExitedAsync(string id)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var s = await f.Runtime.ContainerStatusAsync(id, CancellationToken.None);
            Assert.NotNull(s);
            if (s!.State == ContainerState.Exited) return s;
            Assert.True(DateTime.UtcNow < deadline, $"container {id} still {s.State}");
            await Task.Delay(100);
        }
    }

    private async Task WaitLogAsync(string id, string text)
    {
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            var s = await f.Runtime.ContainerStatusAsync(id, CancellationToken.None);
            if (File.Exists(s!.LogPath) && CriLog.Parse(await File.ReadAllLinesAsync(s.LogPath)).Any(l => l.Text == text)) return;
            Assert.True(DateTime.UtcNow < deadline, $"container {id} never logged \"{text}\"");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task EchoExitCodeAndCriLog()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await f.Runtime.CreateContainerAsync(await ConfigAsync("echo", "echo $GREETING; echo oops >&2; exit 3"), CancellationToken.None);
        Assert.Equal(ContainerState.Created, (await f.Runtime.ContainerStatusAsync(id, CancellationToken.None))!.State);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        var s = await WaitExitedAsync(id);
        Assert.Equal(3, s.ExitCode);
        Assert.Equal("", s.Reason);
        Assert.Equal("echo", s.Name);
        var lines = CriLog.Parse(await File.ReadAllLinesAsync(s.LogPath)).ToList();
        Assert.Equal([("stdout", "hello"), ("stderr", "oops")], lines.Select(l => (l.Stream, l.Text)).ToList());
        // Listed (adoptable) from the bundle records, then gone after removal.
        Assert.Contains(await f.Runtime.ListContainersAsync(null, CancellationToken.None), c => c.Id == id && c.PodName == "p");
        await f.Runtime.RemoveContainerAsync(id, CancellationToken.None);
        Assert.Null(await f.Runtime.ContainerStatusAsync(id, CancellationToken.None));
    }

    [Fact]
    public async Task ATargetedContainerJoinsTheTargetsProcessNamespace()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var target = await f.Runtime.CreateContainerAsync(await ConfigAsync("target", "echo up; exec sleep 3600"), CancellationToken.None);
        await f.Runtime.StartContainerAsync(target, CancellationToken.None);
        await WaitLogAsync(target, "up");

        // kubectl debug --target: the debug container sees the target's init as pid 1.
        var debug = await f.Runtime.CreateContainerAsync(await ConfigAsync("debug", "ps -o pid,args") with { TargetContainerId = target }, CancellationToken.None);
        await f.Runtime.StartContainerAsync(debug, CancellationToken.None);
        var s = await WaitExitedAsync(debug);
        var lines = CriLog.Parse(await File.ReadAllLinesAsync(s.LogPath)).Select(l => l.Text.Trim()).ToList();
        Assert.Contains("1 sleep 3600", lines);

        // A target that no longer runs: refused before anything is made.
        await f.Runtime.StopContainerAsync(target, TimeSpan.Zero, CancellationToken.None);
        var before = (await f.Runtime.ListContainersAsync("pod-" + f.Prefix, CancellationToken.None)).Count;
        var gone = await Assert.ThrowsAsync<IOException>(async () =>
            await f.Runtime.CreateContainerAsync(await ConfigAsync("late", "true") with { TargetContainerId = target }, CancellationToken.None));
        Assert.Equal($"target container {target} is not running", gone.Message);
        Assert.Equal(before, (await f.Runtime.ListContainersAsync("pod-" + f.Prefix, CancellationToken.None)).Count);
        await f.Runtime.RemoveContainerAsync(debug, CancellationToken.None);
        await f.Runtime.RemoveContainerAsync(target, CancellationToken.None);
    }

    [Fact]
    public async Task StartWithoutRuncLeavesRuncSeeingItRunning()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        // The start reads runc's exec FIFO itself: runc must then report the container running (FIFO removed),
        // and a second start fails as runc's own does.
        var id = await f.Runtime.CreateContainerAsync(await ConfigAsync("fifo", "echo started; sleep 3600"), CancellationToken.None);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        await WaitLogAsync(id, "started");
        var (code, state, _) = await HostCommand.RunAsync("runc", ["state", id], CancellationToken.None);
        Assert.Equal(0, code);
        Assert.Equal("running", (string?)System.Text.Json.Nodes.JsonNode.Parse(state)?["status"]);
        var again = await Assert.ThrowsAsync<IOException>(() => f.Runtime.StartContainerAsync(id, CancellationToken.None));
        Assert.Contains("cannot start an already running container", again.Message);
        await f.Runtime.StopContainerAsync(id, TimeSpan.Zero, CancellationToken.None);
        await f.Runtime.RemoveContainerAsync(id, CancellationToken.None);
    }

    [Fact]
    public async Task RestartedRuntimeAdoptsAndRemovalLeavesNothing()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await f.Runtime.CreateContainerAsync(await ConfigAsync("adopted", "echo up; sleep 3600"), CancellationToken.None);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        await WaitLogAsync(id, "up");
        var before = await f.Runtime.ContainerStatusAsync(id, CancellationToken.None);
        // The bundle is on tmpfs in the run dir; the data dir keeps the meta and the log.
        var (_, fsType, _) = await HostCommand.RunAsync("stat", ["-f", "-c", "%T", Path.Combine("/run/anvil/containers", id)], CancellationToken.None);
        Assert.Equal("tmpfs", fsType.Trim());
        Assert.True(File.Exists(Path.Combine(f.Dir, "containers", id, ContainerMeta.FileName)));
        Assert.False(File.Exists(Path.Combine(f.Dir, "containers", id, "config.json")));

        // A new runtime on the same data dir (an agent restart) sees the same running container, from the files.
        var restarted = new RuncRuntime(f.Dir, f.Prefix);
        var adopted = await restarted.ContainerStatusAsync(id, CancellationToken.None);
        Assert.Equal(before, adopted);
        Assert.Equal(ContainerState.Running, adopted!.State);
        await restarted.StopContainerAsync(id, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(137, (await restarted.ContainerStatusAsync(id, CancellationToken.None))!.ExitCode);
        var cgroup = $"/sys/fs/cgroup/memory/anvil/podpod-{f.Prefix}/{id}";
        var cgroupV1 = Directory.Exists("/sys/fs/cgroup/memory/anvil");

        // Removed without a runc process: runc no longer knows it, its cgroups and files are gone.
        await restarted.RemoveContainerAsync(id, CancellationToken.None);
        var (code, _, err) = await HostCommand.RunAsync("runc", ["state", id], CancellationToken.None);
        Assert.NotEqual(0, code);
        Assert.Contains("does not exist", err);
        Assert.False(Directory.Exists(Path.Combine("/run/runc", id)));
        if (cgroupV1) Assert.False(Directory.Exists(cgroup));
        Assert.False(Directory.Exists(Path.Combine(f.Dir, "containers", id)));
        Assert.False(Directory.Exists(Path.Combine("/run/anvil/containers", id)));
        Assert.Null(await f.Runtime.ContainerStatusAsync(id, CancellationToken.None));
        Assert.DoesNotContain(await f.Runtime.ListContainersAsync(null, CancellationToken.None), c => c.Id == id);
    }

    [Fact]
    public async Task StopKillsAfterGracePeriod()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        // PID 1 without a TERM handler ignores SIGTERM: only the SIGKILL after the grace period ends it.
        var id = await f.Runtime.CreateContainerAsync(await ConfigAsync("sleeper", "sleep 3600"), CancellationToken.None);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        Assert.Equal(ContainerState.Running, (await f.Runtime.ContainerStatusAsync(id, CancellationToken.None))!.State);
        await f.Runtime.StopContainerAsync(id, TimeSpan.FromSeconds(1), CancellationToken.None);
        var s = await WaitExitedAsync(id);
        Assert.Equal(137, s.ExitCode);
        await f.Runtime.RemoveContainerAsync(id, CancellationToken.None);
    }

    [Fact]
    public async Task StoppingACreatedContainerEndsIt()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await f.Runtime.CreateContainerAsync(await ConfigAsync("never-started", "sleep 3600"), CancellationToken.None);
        Assert.Equal(ContainerState.Created, (await f.Runtime.ContainerStatusAsync(id, CancellationToken.None))!.State);
        await f.Runtime.StopContainerAsync(id, TimeSpan.Zero, CancellationToken.None);
        Assert.Equal(ContainerState.Exited, (await WaitExitedAsync(id)).State);
        await f.Runtime.RemoveContainerAsync(id, CancellationToken.None);
    }

    [Fact]
    public async Task FailedCreateIsReportedAndLeavesNoContainer()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var config = await ConfigAsync("broken", "true") with { Mounts = [new ContainerMount("/nonexistent-" + Guid.NewGuid().ToString("N"), "/data", false)] };
        var e = await Assert.ThrowsAsync<IOException>(() => f.Runtime.CreateContainerAsync(config, CancellationToken.None));
        Assert.StartsWith("runc create failed: ", e.Message);
        Assert.DoesNotContain(await f.Runtime.ListContainersAsync(null, CancellationToken.None), c => c.Name == "broken");
    }

    [Fact]
    public async Task TermHandlerExitsWithinGracePeriod()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        var id = await f.Runtime.CreateContainerAsync(await ConfigAsync("trapper", "trap 'exit 7' TERM; echo trapped; while true; do sleep 0.1; done"), CancellationToken.None);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        // A TERM sent before the shell has set its trap would be ignored (PID 1 without a handler): wait for the trap.
        await WaitLogAsync(id, "trapped");
        await f.Runtime.StopContainerAsync(id, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal(7, (await WaitExitedAsync(id)).ExitCode);
        await f.Runtime.RemoveContainerAsync(id, CancellationToken.None);
    }

    [Fact]
    public async Task MemoryLimitOomKills()
    {
        if (RuntimeFixture.Unavailable is { } why) { Console.WriteLine($"skipped: {why}"); return; }
        // 16 MiB limit; the shell grows a string far past it.
        var id = await f.Runtime.CreateContainerAsync(await ConfigAsync("hog", "x=aaaaaaaaaaaaaaaa; while true; do x=$x$x; done",
            new ContainerResources(MemoryLimitBytes: 16 * 1024 * 1024, PidsLimit: 64)), CancellationToken.None);
        await f.Runtime.StartContainerAsync(id, CancellationToken.None);
        var s = await WaitExitedAsync(id);
        Assert.Equal((137, "OOMKilled"), (s.ExitCode, s.Reason));
        await f.Runtime.RemoveContainerAsync(id, CancellationToken.None);
    }
}
