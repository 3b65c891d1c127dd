using System.Globalization;

namespace Anvil.Node.Stats;

/// <summary>
/// Reads cgroup v1 accounting of one cgroup: cumulative CPU time from <c>cpuacct/…/cpuacct.usage</c> and the
/// memory working set as cAdvisor defines it (<c>memory.usage_in_bytes</c> minus <c>total_inactive_file</c> of
/// <c>memory.stat</c>, not below zero). <see cref="Root"/> is <c>/sys/fs/cgroup</c>; tests point it at a temp dir.
/// </summary>
public sealed class CgroupStats(string root = "/sys/fs/cgroup")
{
    public string Root { get; } = root;

    /// <summary>The cgroup of a container as RuncRuntime places it: /anvil/pod&lt;uid&gt;/&lt;containerId&gt;.</summary>
    public static string ContainerPath(string podUid, string containerId) => $"/anvil/pod{podUid}/{containerId}";

    /// <summary>Cumulative CPU time in nanoseconds, or null when the cgroup is gone.</summary>
    public ulong? CpuUsageNanos(string cgroup) =>
        ReadText(Path.Combine(Root, "cpuacct") + cgroup + "/cpuacct.usage") is { } text ? ParseUnsigned(text) : null;

    /// <summary>Working-set bytes, or null when the cgroup is gone.</summary>
    public ulong? MemoryWorkingSetBytes(string cgroup)
    {
        var dir = Path.Combine(Root, "memory") + cgroup;
        if (ReadText(dir + "/memory.usage_in_bytes") is not { } usageText || ParseUnsigned(usageText) is not { } usage) return null;
        var inactive = ReadText(dir + "/memory.stat") is { } stat ? StatValue(stat, "total_inactive_file") ?? 0 : 0;
        return WorkingSet(usage, inactive);
    }

    /// <summary>usage − inactive file pages, clamped at zero (the kernel's counters are not read atomically).</summary>
    public static ulong WorkingSet(ulong usage, ulong inactiveFile) => usage > inactiveFile ? usage - inactiveFile : 0;

    /// <summary>A value of a "key value" per line file (memory.stat).</summary>
    public static ulong? StatValue(string text, string key)
    {
        foreach (var line in text.Split('\n'))
        {
            var space = line.IndexOf(' ');
            if (space > 0 && line.AsSpan(0, space).SequenceEqual(key)) return ParseUnsigned(line[(space + 1)..]);
        }
        return null;
    }

    internal static ulong? ParseUnsigned(string text) =>
        ulong.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;

    internal static string? ReadText(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
