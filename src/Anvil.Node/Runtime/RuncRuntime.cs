using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Node.Network;

namespace Anvil.Node.Runtime;

/// <summary>
/// <see cref="IRuntimeService"/> with runc supervised by conmon, as CRI-O does it. Each container has a directory
/// <c>&lt;data-dir&gt;/containers/&lt;id&gt;/</c> with what must survive a reboot or not fill memory
/// (<see cref="ContainerMeta"/>, the overlay's upper and work dirs, the CRI-format log) and an OCI bundle under the run
/// dir (<see cref="RunDir"/>, tmpfs): config.json, the rootfs mount point (an overlay of the read-only image rootfs and
/// the upper dir), pid files, conmon's exit, persist and socket dirs. conmon runs <c>runc create</c> and stays as the
/// container's parent (it outlives the agent); the agent starts it through runc's exec FIFO. Status is read back from
/// conmon's files and /proc (<c>runc state</c> in between); what cannot change any more is kept in memory.
/// </summary>
public sealed partial class RuncRuntime : IRuntimeService
{
    private readonly string _containers;
    private readonly string _run;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ContainerFacts> _facts = new();
    private readonly string _runc;
    private readonly string _conmon;
    private readonly string _idPrefix;
    private readonly CniNetwork? _network;
    // Sandboxes whose CNI ADD still runs (or failed): containers are created meanwhile and wait for it at the end.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (PodSandbox Sandbox, Task<PodSandbox> Ready)> _connecting = new();

    /// <param name="idPrefix">Prefix of container ids (runc's namespace of ids is host-wide): tests use a per-run one.</param>
    /// <param name="network">The pod network; null: every pod shares the host's network namespace.</param>
    /// <param name="runDir">Where bundles go (tmpfs); tests may give their own.</param>
    public RuncRuntime(string dataDir, string idPrefix = "", CniNetwork? network = null, string? runDir = null)
    {
        _network = network;
        _containers = Path.Combine(dataDir, "containers");
        Directory.CreateDirectory(_containers);
        _run = Path.Combine(RunDir.Ensure(runDir ?? RunDir.Default), "containers");
        Directory.CreateDirectory(_run);
        _runc = HostCommand.Find("/usr/sbin/runc", "/usr/bin/runc") ?? throw new InvalidOperationException("runc is not installed (apt-get install runc)");
        _conmon = HostCommand.Find("/usr/bin/conmon", "/usr/libexec/podman/conmon") ?? throw new InvalidOperationException("conmon is not installed (apt-get install conmon)");
        _idPrefix = idPrefix;
        var (code, stdout, _) = HostCommand.RunAsync(_runc, ["--version"], CancellationToken.None).GetAwaiter().GetResult();
        var v = code == 0 ? stdout.Split('\n')[0].Replace("runc version ", "", StringComparison.Ordinal).Trim() : "unknown";
        Version = ("runc", v.Split('+')[0]);
    }

    /// <summary>True when this host can run containers: root, runc and conmon present.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux()) return "not Linux";
        if (Environment.UserName != "root") return "not running as root";
        if (HostCommand.Find("/usr/sbin/runc", "/usr/bin/runc") == null) return "runc is not installed";
        if (HostCommand.Find("/usr/bin/conmon", "/usr/libexec/podman/conmon") == null) return "conmon is not installed";
        return null;
    }

    public (string Name, string Version) Version { get; }

    private string Bundle(string id) => Facts(id)?.Bundle ?? Path.Combine(_run, id);

    /// <summary>The container's unchanging facts: from memory, else from its meta file (null: no such container).</summary>
    private ContainerFacts? Facts(string id)
    {
        if (_facts.TryGetValue(id, out var facts)) return facts;
        var dir = Path.Combine(_containers, id);
        if (ContainerMeta.Read(dir) is not { } meta) return null;
        var run = Path.Combine(_run, id);
        // Containers made before bundles moved to the run dir keep theirs in the data dir.
        var bundle = !Directory.Exists(run) && File.Exists(Path.Combine(dir, "config.json")) ? dir : run;
        return _facts.GetOrAdd(id, new ContainerFacts(meta, bundle));
    }

    /// <summary>Records a fact learnt later; lost when another update won the race (it is read again then).</summary>
    private void Learn(string id, ContainerFacts old, ContainerFacts updated) => _facts.TryUpdate(id, updated, old);

    private static string CgroupParent(string podUid) => $"/anvil/pod{podUid}";

    /// <summary>
    /// No pause container: the sandbox is the pod's network namespace (CniNetwork) and its cgroup parent, made by
    /// runc on demand. Returns once the namespace exists; its CNI ADD goes on while the containers are created
    /// (<see cref="CreateContainerAsync"/> waits for it, <see cref="PodSandboxIPAsync"/> reports its failure).
    /// </summary>
    public async Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken ct)
    {
        if (_network == null) return config.PodUid;
        if (_connecting.TryGetValue(config.PodUid, out var pending) && !pending.Ready.IsFaulted && !pending.Ready.IsCanceled) return config.PodUid;
        var begun = await _network.BeginSetUpAsync(config, "", ct).ConfigureAwait(false);
        if (begun.Ready.IsCompletedSuccessfully) return config.PodUid;
        _connecting[config.PodUid] = begun;
        _ = begun.Ready.ContinueWith(t =>
        {
            if (t.IsCompletedSuccessfully) _connecting.TryRemove(new(config.PodUid, begun));
            else _ = t.Exception; // observed here; PodSandboxIPAsync and CreateContainerAsync report it
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return config.PodUid;
    }

    /// <summary>The pod's address once its network is up; throws IOException when its CNI ADD failed.</summary>
    public async Task<string?> PodSandboxIPAsync(string podUid, CancellationToken ct)
    {
        var sandbox = _connecting.TryGetValue(podUid, out var pending)
            ? await pending.Ready.WaitAsync(ct).ConfigureAwait(false)
            : _network?.Get(podUid);
        return sandbox is { HostNetwork: false, IP.Length: > 0 } ? sandbox.IP : null;
    }

    public Task<string?> PodSandboxNetnsAsync(string podUid, CancellationToken ct) =>
        Task.FromResult(_network?.Get(podUid) is { HostNetwork: false, NetnsPath.Length: > 0 } s ? s.NetnsPath : null);

    public Task<IReadOnlyList<string>> ListPodSandboxesAsync(CancellationToken ct) => Task.FromResult(_network?.List() ?? []);

    public async Task StopPodSandboxAsync(string podUid, CancellationToken ct)
    {
        _connecting.TryRemove(podUid, out _);
        var containers = await ListContainersAsync(podUid, ct).ConfigureAwait(false);
        foreach (var c in containers)
            if (c.PodUid == podUid && c.State is ContainerState.Running or ContainerState.Created)
                await StopContainerAsync(c.Id, TimeSpan.Zero, ct).ConfigureAwait(false);
        // The pod's cgroup directories stay behind when runc removes the containers' own (while those are left, they
        // cannot go: the pod's removal calls this again after removing its containers).
        foreach (var controller in containers.Count > 0 ? [] : SafeDirs("/sys/fs/cgroup"))
        {
            var dir = controller + CgroupParent(podUid);
            try { if (Directory.Exists(dir)) Directory.Delete(dir); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        if (_network != null) await _network.TearDownAsync(podUid, ct).ConfigureAwait(false);
    }

    private static IEnumerable<string> SafeDirs(string path)
    {
        try { return Directory.GetDirectories(path); } catch (IOException) { return []; } catch (UnauthorizedAccessException) { return []; }
    }

    public async Task<string> CreateContainerAsync(ContainerConfig config, CancellationToken ct)
    {
        // Checked before anything is made: joining a namespace of a process that is gone cannot work.
        var pidNamespace = config.TargetContainerId is { } target ? TargetPidNamespace(target) : null;
        var id = _idPrefix + Guid.NewGuid().ToString("N");
        var dir = Path.Combine(_containers, id);
        var bundle = Path.Combine(_run, id);
        foreach (var d in new[] { "upper", "work" })
            Directory.CreateDirectory(Path.Combine(dir, d));
        foreach (var d in new[] { "rootfs", "exits", "persist", "sockets" })
            Directory.CreateDirectory(Path.Combine(bundle, d));
        var meta = new ContainerMeta(id, config.PodUid, config.PodNamespace, config.PodName, config.Name, config.Attempt, config.Image, DateTimeOffset.UtcNow);
        meta.Write(dir);
        _facts[id] = new ContainerFacts(meta, bundle);
        var rootfs = Path.Combine(bundle, "rootfs");
        // Overlay: the image stays read-only and shared; writes land in this container's upper dir (on disk).
        var err = Mounts.Mount("overlay", rootfs, "overlay", 0,
            $"lowerdir={config.ImageRootfs},upperdir={Path.Combine(dir, "upper")},workdir={Path.Combine(dir, "work")}");
        if (err != null)
        {
            // No overlay (e.g. nested on overlayfs without support): fall back to a private copy of the image, on disk
            // beside the upper dir (not in the run dir's memory).
            rootfs = Path.Combine(dir, "rootfs");
            Directory.CreateDirectory(rootfs);
            var (cp, _, cpErr) = await HostCommand.RunAsync("cp", ["-a", config.ImageRootfs + "/.", rootfs], ct).ConfigureAwait(false);
            if (cp != 0) throw new IOException($"preparing the rootfs failed: overlay: {err}; copy: {cpErr.Trim()}");
        }
        var connecting = _connecting.TryGetValue(config.PodUid, out var pending) ? pending.Ready : null;
        var spec = OciSpec.Build(config, rootfs, $"{CgroupParent(config.PodUid)}/{id}", connecting != null ? pending.Sandbox : _network?.Get(config.PodUid), pidNamespace);
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), spec.ToJsonString(), ct).ConfigureAwait(false);

        var log = LogPath(id);
        var pidFile = Path.Combine(bundle, "pid");
        string[] args =
        [
            "--api-version", "1", "-c", id, "-u", id, "-n", $"k8s_{config.Name}_{config.PodName}_{config.PodNamespace}_{config.PodUid}_{config.Attempt}",
            "-r", _runc, "-b", bundle, "-p", pidFile, "-P", Path.Combine(bundle, "conmon.pid"),
            // The kubelet's containerLogMaxSize (10 MiB): conmon starts the log afresh when it reaches it.
            "-l", "k8s-file:" + log, "--log-size-max", "10485760", "--exit-dir", Path.Combine(bundle, "exits"), "--persist-dir", Path.Combine(bundle, "persist"),
            "--socket-dir-path", Path.Combine(bundle, "sockets"), "--log-level", "info", .. ConmonStdioArgs(config.Stdio),
        ];
        WriteStdio(bundle, config.Stdio);
        // conmon forks and its child points its stdio at /dev/null at once (it expects a parent that reads to the end),
        // so it runs directly, without a shell to redirect it; what it printed is kept in conmon.out. Its first process
        // exits right after the fork: waiting for that (and for this process to reap it) is not on the container's way,
        // so the pid file is awaited meanwhile, and a conmon that failed ends the wait.
        var conmon = HostCommand.RunAsync(_conmon, args, ct);
        // `runc create` has finished once the container's pid file exists (or conmon recorded an exit).
        // Polled finely: this wait is on every pod's startup path and `runc create` takes tens of milliseconds.
        for (var i = 0; i < 3000; i++)
        {
            if (InitPid(id) != null)
            {
                _ = KeepConmonOutputAsync(bundle, conmon);
                return await NetworkReadyAsync(id, connecting, ct).ConfigureAwait(false);
            }
            if (File.Exists(Path.Combine(bundle, "exits", id)))
                break;
            // The pod network failed meanwhile (its namespace is gone, so runc create cannot finish).
            if (connecting is { IsCompleted: true, IsCompletedSuccessfully: false })
            {
                _ = KeepConmonOutputAsync(bundle, conmon);
                return await NetworkReadyAsync(id, connecting, ct).ConfigureAwait(false);
            }
            if (conmon is { IsCompleted: true } && (!conmon.IsCompletedSuccessfully || conmon.Result.Code != 0)) break;
            // conmon exits when runc create fails (without the exit file, which is for the container's own exit).
            if (i % 20 == 19 && ConmonGone(bundle)) break;
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
        var (code, output) = await KeepConmonOutputAsync(bundle, conmon).ConfigureAwait(false);
        if (Environment.GetEnvironmentVariable("ANVIL_NODE_KEEP") == null) await RemoveContainerAsync(id, ct).ConfigureAwait(false);
        throw new IOException(code != 0 ? $"conmon failed ({code}): {output}" : $"runc create failed: {(output.Length > 0 ? output : "no pid file")}");
    }

    /// <summary>What conmon's first process printed, kept in the bundle's conmon.out; and its exit code.</summary>
    private static async Task<(int Code, string Output)> KeepConmonOutputAsync(string bundle, Task<(int Code, string Stdout, string Stderr)> conmon)
    {
        try
        {
            var (code, stdout, stderr) = await conmon.ConfigureAwait(false);
            var output = (stdout + stderr).Trim();
            if (output.Length > 0) await File.WriteAllTextAsync(Path.Combine(bundle, "conmon.out"), output, CancellationToken.None).ConfigureAwait(false);
            return (code, output);
        }
        catch (Exception e) when (e is IOException or System.ComponentModel.Win32Exception or OperationCanceledException)
        {
            return (-1, e.Message);
        }
    }

    /// <summary>The process namespace of a running container's init, which an ephemeral container targeting it joins.</summary>
    private string TargetPidNamespace(string targetId)
    {
        if (!InitAlive(targetId) || InitPid(targetId) is not { } pid) throw new IOException($"target container {targetId} is not running");
        return $"/proc/{pid}/ns/pid";
    }

    /// <summary>conmon recorded its pid and that process is gone (or a zombie).</summary>
    private static bool ConmonGone(string bundle) =>
        int.TryParse(ReadOr(Path.Combine(bundle, "conmon.pid")).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)
        && LiveStat(pid) == null;

    /// <summary>The fields of /proc/PID/stat after the command name, or null when the process is gone or a zombie.</summary>
    private static string[]? LiveStat(int pid)
    {
        var stat = ReadOr($"/proc/{pid}/stat");
        var close = stat.LastIndexOf(')');
        return close < 0 || close + 2 >= stat.Length || stat[close + 2] is 'Z' or 'X' ? null : stat[(close + 2)..].Split(' ');
    }

    /// <summary>The created container once its pod's network is up; removed when the pod's CNI ADD failed.</summary>
    private async Task<string> NetworkReadyAsync(string id, Task<PodSandbox>? connecting, CancellationToken ct)
    {
        if (connecting == null) return id;
        try
        {
            await connecting.WaitAsync(ct).ConfigureAwait(false);
            return id;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or OperationCanceledException)
        {
            // Not left behind in Created: a later sync makes the next attempt.
            await RemoveContainerAsync(id, CancellationToken.None).ConfigureAwait(false);
            if (ct.IsCancellationRequested) throw;
            throw new IOException($"setting up the pod network failed: {e.Message}", e);
        }
    }

    /// <summary>The file's text, or "" when it is missing (checked first: files polled for are missing most of the
    /// time, and a thrown exception costs far more than a stat).</summary>
    private static string ReadOr(string path)
    {
        try { return File.Exists(path) ? File.ReadAllText(path) : ""; } catch (IOException) { return ""; }
    }

    private string LogPath(string id) => Path.Combine(_containers, id, "container.log");

    public async Task StartContainerAsync(string id, CancellationToken ct)
    {
        if (!await ExecFifo.TryStartAsync(id, () => InitRunning(id)).ConfigureAwait(false))
        {
            var (code, _, err) = await HostCommand.RunAsync(_runc, ["start", id], ct).ConfigureAwait(false);
            if (code != 0) throw new IOException($"runc start {id}: {err.Trim()}");
        }
        var now = DateTimeOffset.UtcNow;
        await File.WriteAllTextAsync(Path.Combine(Bundle(id), "started"), now.ToString("O", CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
        if (Facts(id) is { } facts) Learn(id, facts, facts with { Started = now });
    }

    public async Task StopContainerAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        if (timeout > TimeSpan.Zero)
        {
            await KillAsync(id, "TERM", 15, ct).ConfigureAwait(false);
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (!await AliveAsync(id, ct).ConfigureAwait(false)) return;
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
        await KillAsync(id, "KILL", 9, ct).ConfigureAwait(false);
        for (var i = 0; i < 1000; i++)
        {
            if (!await AliveAsync(id, ct).ConfigureAwait(false)) break;
            await Task.Delay(10, ct).ConfigureAwait(false);
        }
        // conmon writes the exit file just after the process is reaped.
        for (var i = 0; i < 250 && Directory.Exists(Bundle(id)) && !File.Exists(Path.Combine(Bundle(id), "exits", id)); i++)
            await Task.Delay(10, ct).ConfigureAwait(false);
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int KillNative(int pid, int sig);

    /// <summary>
    /// Signals the container's init process: directly when its pid is known to be conmon's child (no runc process
    /// per stop; pods are stopped while others start), else through <c>runc kill</c>.
    /// </summary>
    private async Task KillAsync(string id, string signal, int number, CancellationToken ct)
    {
        if (InitAlive(id) && InitPid(id) is { } pid && KillNative(pid, number) == 0) return;
        await HostCommand.RunAsync(_runc, ["kill", id, signal], ct).ConfigureAwait(false);
    }

    /// <summary>Whether the container's process still runs: from conmon's files and /proc, asking runc only without a pid file.</summary>
    private async Task<bool> AliveAsync(string id, CancellationToken ct)
    {
        if (File.Exists(Path.Combine(Bundle(id), "exits", id))) return false;
        if (InitPid(id) != null) return InitAlive(id);
        return await RuncStatusAsync(id, ct).ConfigureAwait(false) is "running" or "created" or "paused";
    }

    /// <summary>The init's pid once runc wrote it (runc and conmon write their pid files whole, by rename).</summary>
    private int? InitPid(string id)
    {
        if (Facts(id) is not { } facts) return null;
        if (facts.Pid > 0) return facts.Pid;
        if (!int.TryParse(ReadOr(Path.Combine(facts.Bundle, "pid")).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) || pid <= 0) return null;
        Learn(id, facts, facts with { Pid = pid });
        return pid;
    }

    private string ConmonPid(string id)
    {
        if (Facts(id) is not { } facts) return "";
        if (facts.ConmonPid.Length > 0) return facts.ConmonPid;
        var pid = ReadOr(Path.Combine(facts.Bundle, "conmon.pid")).Trim();
        if (pid.Length > 0) Learn(id, facts, facts with { ConmonPid = pid });
        return pid;
    }

    public async Task RemoveContainerAsync(string id, CancellationToken ct)
    {
        // Once conmon has recorded the exit, the container is deleted without a runc process.
        var bundle = Bundle(id);
        if (!(File.Exists(Path.Combine(bundle, "exits", id)) && InitPid(id) is { } pid && RuncDelete.TryDeleteStopped(id, pid)))
            await HostCommand.RunAsync(_runc, ["delete", "-f", id], ct).ConfigureAwait(false);
        var rootfs = Path.Combine(bundle, "rootfs");
        Mounts.Unmount(rootfs);
        // The bundle first: a container whose data dir (and meta) is gone is gone for every lister.
        foreach (var dir in new[] { bundle, Path.Combine(_containers, id) }.Distinct())
        {
            try
            {
                if (Directory.Exists(dir)) Directory.Delete(dir, true);
            }
            catch (IOException)
            {
                await HostCommand.RunAsync("rm", ["-rf", "--one-file-system", dir], ct).ConfigureAwait(false);
            }
        }
        _facts.TryRemove(id, out _);
    }

    public async Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? podUid, CancellationToken ct)
    {
        var list = new List<ContainerStatus>();
        foreach (var dir in SafeDirs(_containers))
        {
            var id = Path.GetFileName(dir);
            if (!id.StartsWith(_idPrefix, StringComparison.Ordinal)) continue;
            if (podUid != null && Facts(id)?.Meta.PodUid != podUid) continue;
            if (await ContainerStatusAsync(id, ct).ConfigureAwait(false) is { } s) list.Add(s);
        }
        return list;
    }

    private async Task<string?> RuncStatusAsync(string id, CancellationToken ct)
    {
        var (code, stdout, _) = await HostCommand.RunAsync(_runc, ["state", id], ct).ConfigureAwait(false);
        if (code != 0) return null;
        try
        {
            return (string?)JsonNode.Parse(stdout)?["status"];
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async Task<ContainerStatus?> ContainerStatusAsync(string id, CancellationToken ct)
    {
        if (Facts(id) is not { } facts) return null;
        if (!Directory.Exists(facts.Bundle))
        {
            // Removed meanwhile by another runtime on the same data dir (an agent replacing this one), or its bundle
            // went with a reboot: only the files say which.
            _facts.TryRemove(new(id, facts));
            if (Facts(id) is not { } fresh) return null;
            facts = fresh;
        }
        if (facts.Final is { } final) return final;
        var bundle = facts.Bundle;
        var meta = facts.Meta;
        var exitFile = Path.Combine(bundle, "exits", id);
        var started = facts.Started;
        if (started == null && DateTimeOffset.TryParse(ReadOr(Path.Combine(bundle, "started")), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var st))
        {
            started = st;
            Learn(id, facts, facts = facts with { Started = st });
        }
        // The common cases are read from files and /proc instead of exec'ing `runc state` (about 10 ms of CPU each,
        // for every container on every relist); anything in between asks runc.
        var runc = File.Exists(exitFile) ? "stopped"
            : started != null && InitAlive(id) ? "running"
            : await RuncStatusAsync(id, ct).ConfigureAwait(false);
        var state = runc switch
        {
            "created" => ContainerState.Created,
            "running" or "paused" => ContainerState.Running,
            "stopped" => ContainerState.Exited,
            _ => File.Exists(exitFile) ? ContainerState.Exited : ContainerState.Unknown,
        };
        int exitCode = 0;
        DateTimeOffset? finished = null;
        var reason = "";
        var recorded = false;
        if (state == ContainerState.Exited)
        {
            // conmon writes the exit file after reaping; a stopped container without it is still being reaped.
            for (var i = 0; i < 20 && !File.Exists(exitFile); i++) await Task.Delay(50, ct).ConfigureAwait(false);
            if (File.Exists(exitFile))
            {
                int.TryParse(ReadOr(exitFile).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out exitCode);
                finished = File.GetLastWriteTimeUtc(exitFile);
                recorded = true;
            }
            else
            {
                exitCode = 255;
                finished = DateTimeOffset.UtcNow;
            }
            if (File.Exists(Path.Combine(bundle, "persist", "oom")) || OomKilled(meta)) reason = "OOMKilled";
            started ??= finished;
        }
        var status = new ContainerStatus(id, meta.PodUid, meta.PodNamespace, meta.PodName, meta.Name, meta.Attempt, meta.Image, state,
            meta.CreatedAt, started, finished, exitCode, reason, LogPath(id));
        if (recorded) Learn(id, facts, facts with { Final = status });
        return status;
    }

    /// <summary>The container's init process (conmon's pid file) is alive and not yet a zombie awaiting conmon's reap.</summary>
    private bool InitAlive(string id)
    {
        // A recycled pid would be another process: the container's init is a child of its conmon.
        return InitPid(id) is { } pid && LiveStat(pid) is { Length: > 1 } fields && fields[1] == ConmonPid(id);
    }

    /// <summary>
    /// The init's process exists and is not a zombie, whoever its parent is. Right after create, as the start needs it:
    /// runc writes the pid file before `runc create` exits, and until it has, the init is runc's child, not conmon's
    /// (conmon, a subreaper, adopts it then), so <see cref="InitAlive"/> said "dead" in that window under load.
    /// </summary>
    private bool InitRunning(string id) => InitPid(id) is { } pid && LiveStat(pid) != null;

    public Task<Anvil.Node.Exec.ExecProcess> ExecAsync(string id, Anvil.Node.Exec.ExecOptions options, CancellationToken ct) =>
        Task.FromResult<Anvil.Node.Exec.ExecProcess>(Anvil.Node.Exec.RuncExecProcess.Start(_runc, id, Bundle(id), options));

    // cgroup v1: the memory controller counts OOM kills until runc deletes the cgroup.
    private static bool OomKilled(ContainerMeta meta)
    {
        var path = $"/sys/fs/cgroup/memory{CgroupParent(meta.PodUid)}/{meta.Id}/memory.oom_control";
        try
        {
            foreach (var line in File.ReadAllLines(path))
                if (line.StartsWith("oom_kill ", StringComparison.Ordinal)) return line[9..].Trim() != "0";
        }
        catch (IOException)
        {
        }
        return false;
    }
}
