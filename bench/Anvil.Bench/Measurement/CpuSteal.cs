namespace Anvil.Bench.Measurement;

/// <summary>
/// The machine's CPU time counters from <c>/proc/stat</c>. On a virtual machine, "steal" is time the host gave this
/// machine's virtual CPUs to someone else: the difference of two snapshots says how much of a phase's wall time the
/// machine did not have, which no change to Anvil can win back (and which moves tail latency from run to run).
/// </summary>
internal readonly record struct CpuSteal(long Steal, long Total)
{
    /// <summary>Now, or zeros where <c>/proc/stat</c> cannot be read (then the share is NaN).</summary>
    public static CpuSteal Now()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            // "cpu  user nice system idle iowait irq softirq steal guest guest_nice" (guest time is inside user).
            var fields = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields[0] != "cpu" || fields.Length < 9) return default;
            long total = 0;
            for (var i = 1; i <= 8; i++) total += long.Parse(fields[i], System.Globalization.CultureInfo.InvariantCulture);
            return new CpuSteal(long.Parse(fields[8], System.Globalization.CultureInfo.InvariantCulture), total);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return default;
        }
    }

    /// <summary>Percent of all CPU time between <paramref name="start"/> and now that was stolen.</summary>
    public static double PercentSince(CpuSteal start)
    {
        var now = Now();
        var total = now.Total - start.Total;
        return total > 0 && start.Total > 0 ? 100.0 * (now.Steal - start.Steal) / total : double.NaN;
    }
}
