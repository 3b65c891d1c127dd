using System.Globalization;

namespace Anvil.Node.Stats;

/// <summary>
/// The node's own usage from <c>/proc</c>: busy CPU time from the aggregate <c>cpu</c> line of <c>/proc/stat</c>
/// (everything but idle and iowait, in USER_HZ ticks of 10 ms) and the working set as MemTotal − MemAvailable
/// of <c>/proc/meminfo</c>, roughly what metrics-server reports for a node.
/// </summary>
public sealed class HostStats(string procRoot = "/proc")
{
    /// <summary>Clock ticks per second of /proc/stat (USER_HZ; 100 on every Linux architecture Anvil runs on).</summary>
    public const long UserHz = 100;

    public ulong? CpuUsageNanos() => CgroupStats.ReadText(Path.Combine(procRoot, "stat")) is { } t ? ParseCpuNanos(t) : null;

    public ulong? MemoryWorkingSetBytes() => CgroupStats.ReadText(Path.Combine(procRoot, "meminfo")) is { } t ? ParseWorkingSet(t) : null;

    /// <summary>Busy nanoseconds of the "cpu " line: user nice system [idle iowait] irq softirq steal.</summary>
    public static ulong? ParseCpuNanos(string procStat)
    {
        foreach (var line in procStat.Split('\n'))
        {
            if (!line.StartsWith("cpu ", StringComparison.Ordinal)) continue;
            var f = line[4..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 4) return null;
            ulong busy = 0;
            for (var i = 0; i < Math.Min(f.Length, 8); i++)
            {
                if (i is 3 or 4) continue; // idle, iowait
                if (CgroupStats.ParseUnsigned(f[i]) is not { } v) return null;
                busy += v;
            }
            return busy * (ulong)(1_000_000_000 / UserHz);
        }
        return null;
    }

    /// <summary>(MemTotal − MemAvailable) in bytes; null when either line is missing.</summary>
    public static ulong? ParseWorkingSet(string meminfo)
    {
        ulong? total = null, available = null;
        foreach (var line in meminfo.Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon <= 0) continue;
            var key = line[..colon];
            if (key is not ("MemTotal" or "MemAvailable")) continue;
            var value = line[(colon + 1)..].Trim();
            if (value.EndsWith(" kB", StringComparison.Ordinal)) value = value[..^3];
            if (!ulong.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var kb)) return null;
            if (key == "MemTotal") total = kb * 1024;
            else available = kb * 1024;
        }
        return total is { } t && available is { } a ? CgroupStats.WorkingSet(t, a) : null;
    }
}
