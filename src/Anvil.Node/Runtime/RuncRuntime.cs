using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Anvil.Node.Network;

namespace Anvil.Node.Runtime;

/// <summary>
/// <see cref="IRuntimeService"/> with runc supervised by conmon, as CRI-O does it. Each container is an OCI bundle
/// under <c>&lt;data-dir&gt;/containers/&lt;id&gt;/</c>: config.json, the rootfs (an overlay of the read-only image
/// rootfs and a per-container upper dir), conmon's exit and persist dirs, the CRI-format log and
/// <see cref="ContainerMeta"/>. conmon runs <c>runc create</c> and stays as the container's parent (it outlives
/// the agent); the agent calls <c>runc start</c>. Status is read back from <c>runc state</c> and conmon's files.
/// </summary>
public sealed partial class RuncRuntime : IRuntimeService
{
    private readonly string _containers;
    private readonly string _runc;
    private readonly string _conmon;
    private readonly string _idPrefix;
    private readonly CniNetwork? _network;

    /// <param name="idPrefix">Prefix of container ids (runc's namespace of ids is host-wide): tests use a per-run one.</param>
    /// <param name="network">The pod network; null: every pod shares the host's network namespace.</param>
    public RuncRuntime(string dataDir, string idPrefix = "", CniNetwork? network = null)
    {
        _network = network;
        _containers = Path.Combine(dataDir, "containers");
        Directory.CreateDirectory(_containers);
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

    private string Bundle(string id) => Path.Combine(_containers, id);

    private static string CgroupParent(string podUid) => $"/anvil/pod{podUid}";

    public async Task<string> RunPodSandboxAsync(PodSandboxConfig config, CancellationToken ct)
    {
        // No pause container: the sandbox is the pod's network namespace (CniNetwork) and its cgroup parent, made by runc on demand.
        if (_network != null) await _network.SetUpAsync(config, "", ct).ConfigureAwait(false);
        return config.PodUid;
    }

    public Task<string?> PodSandboxIPAsync(string podUid, CancellationToken ct) =>
        Task.FromResult(_network?.Get(podUid) is { HostNetwork: false, IP.Length: > 0 } s ? s.IP : null);

    public Task<string?> PodSandboxNetnsAsync(string podUid, CancellationToken ct) =>
        Task.FromResult(_network?.Get(podUid) is { HostNetwork: false, NetnsPath.Length: > 0 } s ? s.NetnsPath : null);

    public Task<IReadOnlyList<string>> ListPodSandboxesAsync(CancellationToken ct) => Task.FromResult(_network?.List() ?? []);

    public async Task StopPodSandboxAsync(string podUid, CancellationToken ct)
    {
        foreach (var c in await ListContainersAsync(podUid, ct).ConfigureAwait(false))
            if (c.PodUid == podUid && c.State is ContainerState.Running or ContainerState.Created)
                await StopContainerAsync(c.Id, TimeSpan.Zero, ct).ConfigureAwait(false);
        // The pod's cgroup directories stay behind when runc removes the containers' own.
        foreach (var controller in SafeDirs("/sys/fs/cgroup"))
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
        var id = _idPrefix + Guid.NewGuid().ToString("N");
        var bundle = Bundle(id);
        Directory.CreateDirectory(bundle);
        foreach (var d in new[] { "rootfs", "upper", "work", "exits", "persist", "sockets" })
            Directory.CreateDirectory(Path.Combine(bundle, d));
        var meta = new ContainerMeta(id, config.PodUid, config.PodNamespace, config.PodName, config.Name, config.Attempt, config.Image, DateTimeOffset.UtcNow);
        meta.Write(bundle);
        var rootfs = Path.Combine(bundle, "rootfs");
        // Overlay: the image stays read-only and shared; writes land in this container's upper dir.
        var err = Mounts.Mount("overlay", rootfs, "overlay", 0,
            $"lowerdir={config.ImageRootfs},upperdir={Path.Combine(bundle, "upper")},workdir={Path.Combine(bundle, "work")}");
        if (err != null)
        {
            // No overlay (e.g. nested on overlayfs without support): fall back to a private copy of the image.
            var (cp, _, cpErr) = await HostCommand.RunAsync("cp", ["-a", config.ImageRootfs + "/.", rootfs], ct).ConfigureAwait(false);
            if (cp != 0) throw new IOException($"preparing the rootfs failed: overlay: {err}; copy: {cpErr.Trim()}");
        }
        var spec = OciSpec.Build(config, rootfs, $"{CgroupParent(config.PodUid)}/{id}", _network?.Get(config.PodUid));
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), spec.ToJsonString(), ct).ConfigureAwait(false);

        var log = LogPath(bundle);
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
        // conmon daemonizes; its output goes to a file so no pipe of ours is held open by it.
        var cmd = "exec \"$0\" \"$@\" </dev/null >>" + Quote(Path.Combine(bundle, "conmon.out")) + " 2>&1";
        var (code, _, _) = await HostCommand.RunAsync("/bin/sh", new[] { "-c", cmd, _conmon }.Concat(args), ct).ConfigureAwait(false);
        if (code != 0) throw new IOException($"conmon failed ({code}): {ReadOr(Path.Combine(bundle, "conmon.out"))}");
        // `runc create` has finished once the container's pid file exists (or conmon recorded an exit).
        // Polled finely: this wait is on every pod's startup path and `runc create` takes tens of milliseconds.
        for (var i = 0; i < 3000; i++)
        {
            if (File.Exists(pidFile) && new FileInfo(pidFile).Length > 0) return id;
            if (File.Exists(Path.Combine(bundle, "exits", id)))
                break;
            await Task.Delay(5, ct).ConfigureAwait(false);
        }
        var why = ReadOr(Path.Combine(bundle, "conmon.out")).Trim();
        if (Environment.GetEnvironmentVariable("ANVIL_NODE_KEEP") == null) await RemoveContainerAsync(id, ct).ConfigureAwait(false);
        throw new IOException($"runc create failed: {(why.Length > 0 ? why : "no pid file")}");
    }

    private static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string ReadOr(string path)
    {
        try { return File.ReadAllText(path); } catch (IOException) { return ""; }
    }

    private static string LogPath(string bundle) => Path.Combine(bundle, "container.log");

    public async Task StartContainerAsync(string id, CancellationToken ct)
    {
        var (code, _, err) = await HostCommand.RunAsync(_runc, ["start", id], ct).ConfigureAwait(false);
        if (code != 0) throw new IOException($"runc start {id}: {err.Trim()}");
        await File.WriteAllTextAsync(Path.Combine(Bundle(id), "started"), DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture), ct).ConfigureAwait(false);
    }

    public async Task StopContainerAsync(string id, TimeSpan timeout, CancellationToken ct)
    {
        if (timeout > TimeSpan.Zero)
        {
            await HostCommand.RunAsync(_runc, ["kill", id, "TERM"], ct).ConfigureAwait(false);
            var deadline = DateTime.UtcNow + timeout;
            while (DateTime.UtcNow < deadline)
            {
                if (await RuncStatusAsync(id, ct).ConfigureAwait(false) is not ("running" or "created" or "paused")) return;
                await Task.Delay(100, ct).ConfigureAwait(false);
            }
        }
        await HostCommand.RunAsync(_runc, ["kill", id, "KILL"], ct).ConfigureAwait(false);
        for (var i = 0; i < 100; i++)
        {
            if (await RuncStatusAsync(id, ct).ConfigureAwait(false) is not ("running" or "created" or "paused")) break;
            await Task.Delay(100, ct).ConfigureAwait(false);
        }
        // conmon writes the exit file just after the process is reaped.
        for (var i = 0; i < 50 && Directory.Exists(Bundle(id)) && !File.Exists(Path.Combine(Bundle(id), "exits", id)); i++)
            await Task.Delay(50, ct).ConfigureAwait(false);
    }

    public async Task RemoveContainerAsync(string id, CancellationToken ct)
    {
        await HostCommand.RunAsync(_runc, ["delete", "-f", id], ct).ConfigureAwait(false);
        var bundle = Bundle(id);
        var rootfs = Path.Combine(bundle, "rootfs");
        Mounts.Unmount(rootfs);
        try
        {
            if (Directory.Exists(bundle)) Directory.Delete(bundle, true);
        }
        catch (IOException)
        {
            await HostCommand.RunAsync("rm", ["-rf", "--one-file-system", bundle], ct).ConfigureAwait(false);
        }
    }

    public async Task<IReadOnlyList<ContainerStatus>> ListContainersAsync(string? podUid, CancellationToken ct)
    {
        var list = new List<ContainerStatus>();
        foreach (var dir in SafeDirs(_containers))
        {
            var id = Path.GetFileName(dir);
            if (!id.StartsWith(_idPrefix, StringComparison.Ordinal)) continue;
            if (podUid != null && ContainerMeta.Read(dir)?.PodUid != podUid) continue;
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
        var bundle = Bundle(id);
        var meta = ContainerMeta.Read(bundle);
        if (meta == null) return null;
        var exitFile = Path.Combine(bundle, "exits", id);
        DateTimeOffset? started = null;
        var startedText = ReadOr(Path.Combine(bundle, "started"));
        if (DateTimeOffset.TryParse(startedText, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var st)) started = st;
        // The common cases are read from files and /proc instead of exec'ing `runc state` (about 10 ms of CPU each,
        // for every container on every relist); anything in between asks runc.
        var runc = File.Exists(exitFile) ? "stopped"
            : started != null && InitAlive(bundle) ? "running"
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
        if (state == ContainerState.Exited)
        {
            // conmon writes the exit file after reaping; a stopped container without it is still being reaped.
            for (var i = 0; i < 20 && !File.Exists(exitFile); i++) await Task.Delay(50, ct).ConfigureAwait(false);
            if (File.Exists(exitFile))
            {
                int.TryParse(ReadOr(exitFile).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out exitCode);
                finished = File.GetLastWriteTimeUtc(exitFile);
            }
            else
            {
                exitCode = 255;
                finished = DateTimeOffset.UtcNow;
            }
            if (File.Exists(Path.Combine(bundle, "persist", "oom")) || OomKilled(meta)) reason = "OOMKilled";
            started ??= finished;
        }
        return new ContainerStatus(id, meta.PodUid, meta.PodNamespace, meta.PodName, meta.Name, meta.Attempt, meta.Image, state,
            meta.CreatedAt, started, finished, exitCode, reason, LogPath(bundle));
    }

    /// <summary>The container's init process (conmon's pid file) is alive and not yet a zombie awaiting conmon's reap.</summary>
    private static bool InitAlive(string bundle)
    {
        if (!int.TryParse(ReadOr(Path.Combine(bundle, "pid")).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid)) return false;
        var stat = ReadOr($"/proc/{pid}/stat");
        var close = stat.LastIndexOf(')');
        // A recycled pid would be another process: the container's init is a child of its conmon.
        if (close < 0 || close + 2 >= stat.Length || stat[close + 2] is 'Z' or 'X') return false;
        var fields = stat[(close + 2)..].Split(' ');
        return fields.Length > 1 && fields[1] == ReadOr(Path.Combine(bundle, "conmon.pid")).Trim();
    }
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
