using System.Globalization;

namespace Anvil.Bench.Measurement;

/// <summary>
/// A cgroup of its own that only accounts CPU time: processes moved into it (and everything they start, unless runc
/// moves it into a container's cgroup) are counted, whatever else runs on the machine. cgroup v1 (the cpuacct
/// hierarchy) or v2 (cpu.stat's usage_usec, present in every cgroup). Null when neither can be made (not root).
/// </summary>
internal sealed class CpuCgroup : IDisposable
{
    private readonly string _dir;
    private readonly bool _v2;

    private CpuCgroup(string dir, bool v2)
    {
        _dir = dir;
        _v2 = v2;
    }

    public string ProcsFile => Path.Combine(_dir, "cgroup.procs");

    public static CpuCgroup? TryCreate(string name)
    {
        var v1 = "/sys/fs/cgroup/cpuacct";
        var v2 = File.Exists("/sys/fs/cgroup/cgroup.controllers");
        var dir = Path.Combine(v2 ? "/sys/fs/cgroup" : v1, name);
        try
        {
            if (!v2 && !Directory.Exists(v1)) return null;
            Directory.CreateDirectory(dir);
            return new CpuCgroup(dir, v2);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Moves a process (all its threads) into the cgroup.</summary>
    public void Add(int pid) => File.WriteAllText(ProcsFile, pid.ToString(CultureInfo.InvariantCulture));

    /// <summary>CPU time used in the cgroup so far, in nanoseconds.</summary>
    public ulong UsageNanos()
    {
        try
        {
            if (!_v2) return ulong.Parse(File.ReadAllText(Path.Combine(_dir, "cpuacct.usage")).Trim(), CultureInfo.InvariantCulture);
            foreach (var line in File.ReadAllLines(Path.Combine(_dir, "cpu.stat")))
                if (line.StartsWith("usage_usec ", StringComparison.Ordinal)) return ulong.Parse(line[11..], CultureInfo.InvariantCulture) * 1000;
        }
        catch (Exception e) when (e is IOException or FormatException)
        {
        }
        return 0;
    }

    /// <summary>Removes the cgroup once it is empty (processes that are left move to the root first).</summary>
    public void Dispose()
    {
        var root = Path.Combine(Path.GetDirectoryName(_dir)!, "cgroup.procs");
        for (var i = 0; i < 50; i++)
        {
            try
            {
                foreach (var pid in File.ReadAllLines(ProcsFile).Where(l => l.Length > 0))
                    File.WriteAllText(root, pid);
                Directory.Delete(_dir);
                return;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(100);
            }
        }
    }
}
