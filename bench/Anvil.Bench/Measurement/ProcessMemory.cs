using System.Globalization;

namespace Anvil.Bench.Measurement;

/// <summary>Reads a process' resident set size from /proc.</summary>
internal static class ProcessMemory
{
    /// <summary>VmRSS of <paramref name="pid"/> ("self" for this process) in bytes, or -1 if unreadable.</summary>
    public static long RssBytes(string pid = "self") => StatusBytes(pid, "VmRSS:");

    /// <summary>VmHWM (peak resident set) in bytes, or -1.</summary>
    public static long PeakRssBytes(string pid = "self") => StatusBytes(pid, "VmHWM:");

    private static long StatusBytes(string pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
                var parts = line[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
                return long.Parse(parts[0], CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return -1;
    }

    public static string Mb(long bytes) => bytes < 0 ? "n/a" : (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture) + " MB";
}
