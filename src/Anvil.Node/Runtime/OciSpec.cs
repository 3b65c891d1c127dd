using System.Text.Json.Nodes;
using Anvil.Node.Network;

namespace Anvil.Node.Runtime;

/// <summary>
/// Writes an OCI runtime config.json: namespaces pid/ipc/uts/mount, the pod's network namespace (the host's for
/// host-network pods), the standard /proc /dev /sys mounts, Docker's default capability set and cgroup limits under a
/// cgroupfs path (this machine has hybrid cgroup v1).
/// </summary>
internal static class OciSpec
{
    private static readonly string[] s_caps =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    public static JsonObject Build(ContainerConfig c, string rootfs, string cgroupsPath, PodSandbox? sandbox = null, string? pidNamespacePath = null)
    {
        JsonArray Caps() => new(s_caps.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray());
        var env = new JsonArray();
        var hasPath = false;
        foreach (var e in c.Env)
        {
            hasPath |= e.StartsWith("PATH=", StringComparison.Ordinal);
            env.Add(e);
        }
        if (!hasPath) env.Insert(0, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        var r = c.Resources ?? new ContainerResources();
        var resources = new JsonObject { ["devices"] = new JsonArray(new JsonObject { ["allow"] = false, ["access"] = "rwm" }) };
        if (r.MemoryLimitBytes > 0) resources["memory"] = new JsonObject { ["limit"] = r.MemoryLimitBytes, ["swap"] = r.MemoryLimitBytes };
        var cpu = new JsonObject();
        if (r.CpuShares > 0) cpu["shares"] = r.CpuShares;
        if (r.CpuQuota > 0) { cpu["quota"] = r.CpuQuota; cpu["period"] = r.CpuPeriod; }
        if (cpu.Count > 0) resources["cpu"] = cpu;
        if (r.PidsLimit > 0) resources["pids"] = new JsonObject { ["limit"] = r.PidsLimit };

        var mounts = new JsonArray(
            Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
            Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
            Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
            Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
            Mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
            Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro"));
        // Host network: the container resolves names like the host does (the host's files, read-only); on the pod
        // network, the pod's own files, which the container may change as with the kubelet unless its root is read-only.
        var podNet = sandbox is { HostNetwork: false, Netns.Length: > 0 };
        foreach (var (f, own) in new[] { ("/etc/resolv.conf", sandbox?.ResolvConfPath), ("/etc/hosts", sandbox?.HostsPath), ("/etc/hostname", sandbox?.HostnamePath) })
        {
            if (podNet && File.Exists(own)) mounts.Add(c.ReadOnlyRootfs ? Mount(f, "bind", own!, "rbind", "ro") : Mount(f, "bind", own!, "rbind"));
            else if (f != "/etc/hostname" && File.Exists(f)) mounts.Add(Mount(f, "bind", f, "rbind", "ro"));
        }
        var namespaces = new JsonArray(
            pidNamespacePath != null ? new JsonObject { ["type"] = "pid", ["path"] = pidNamespacePath } : new JsonObject { ["type"] = "pid" },
            new JsonObject { ["type"] = "ipc" },
            new JsonObject { ["type"] = "uts" },
            new JsonObject { ["type"] = "mount" });
        if (podNet) namespaces.Add(new JsonObject { ["type"] = "network", ["path"] = sandbox!.NetnsPath });
        // Pod volumes (Volumes/MountBuilder), after the defaults so a volume may cover them.
        foreach (var m in c.Mounts ?? [])
            mounts.Add(m.ReadOnly ? Mount(m.Destination, "bind", m.Source, "rbind", "rprivate", "ro") : Mount(m.Destination, "bind", m.Source, "rbind", "rprivate"));
        var user = new JsonObject { ["uid"] = c.Uid, ["gid"] = c.Gid };
        if (c.AdditionalGids is { Count: > 0 } gids) user["additionalGids"] = new JsonArray(gids.Select(g => (JsonNode?)JsonValue.Create(g)).ToArray());

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = new JsonObject
            {
                ["terminal"] = c.Stdio?.Tty == true,
                ["user"] = user,
                ["args"] = new JsonArray(c.Args.Select(a => (JsonNode?)JsonValue.Create(a)).ToArray()),
                ["env"] = env,
                ["cwd"] = string.IsNullOrEmpty(c.WorkingDir) ? "/" : c.WorkingDir,
                ["capabilities"] = new JsonObject { ["bounding"] = Caps(), ["effective"] = Caps(), ["permitted"] = Caps() },
                ["noNewPrivileges"] = false,
                ["oomScoreAdj"] = 0,
            },
            ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = c.ReadOnlyRootfs },
            ["hostname"] = string.IsNullOrEmpty(c.Hostname) ? c.PodName : c.Hostname,
            ["mounts"] = mounts,
            ["linux"] = new JsonObject
            {
                ["cgroupsPath"] = cgroupsPath,
                ["resources"] = resources,
                ["namespaces"] = namespaces,
                ["maskedPaths"] = new JsonArray("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                    "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"),
                ["readonlyPaths"] = new JsonArray("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"),
            },
        };
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options) => new()
    {
        ["destination"] = destination,
        ["type"] = type,
        ["source"] = source,
        ["options"] = new JsonArray(options.Select(o => (JsonNode?)JsonValue.Create(o)).ToArray()),
    };
}
