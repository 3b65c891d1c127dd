using System.Globalization;
using System.Text;

namespace Anvil.ApiServer.Metrics;

/// <summary>Quantities and durations in the canonical text Go's resource.Quantity and time.Duration produce.</summary>
public static class MetricsFormat
{
    /// <summary>Nanocores as a DecimalSI quantity in canonical form: "0", "250m", "1500u", "1234567n", "2".</summary>
    public static string Cpu(ulong nanoCores)
    {
        if (nanoCores == 0) return "0";
        if (nanoCores % 1_000_000_000 == 0) return (nanoCores / 1_000_000_000).ToString(CultureInfo.InvariantCulture);
        if (nanoCores % 1_000_000 == 0) return (nanoCores / 1_000_000).ToString(CultureInfo.InvariantCulture) + "m";
        if (nanoCores % 1_000 == 0) return (nanoCores / 1_000).ToString(CultureInfo.InvariantCulture) + "u";
        return nanoCores.ToString(CultureInfo.InvariantCulture) + "n";
    }

    /// <summary>Bytes as a BinarySI quantity in canonical form: "0", "1234Ki", "12Mi", "1000" (not a multiple of 1024).</summary>
    public static string Memory(ulong bytes)
    {
        if (bytes == 0) return "0";
        string[] suffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
        var i = 0;
        while (i < suffixes.Length - 1 && bytes % 1024 == 0)
        {
            bytes /= 1024;
            i++;
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + suffixes[i];
    }

    /// <summary>Go's time.Duration.String(): "15s", "10.5s", "1m0.25s", "1h2m3s", "500ms", "0s".</summary>
    public static string Duration(TimeSpan d)
    {
        var ns = d.Ticks * 100;
        if (ns == 0) return "0s";
        var sb = new StringBuilder();
        if (ns < 0)
        {
            sb.Append('-');
            ns = -ns;
        }
        if (ns < 1_000_000_000)
        {
            // Sub-second: the largest unit that keeps an integer part, with a fraction as needed.
            var (unit, scale) = ns < 1_000 ? ("ns", 1L) : ns < 1_000_000 ? ("µs", 1_000L) : ("ms", 1_000_000L);
            sb.Append(Fraction(ns, scale)).Append(unit);
            return sb.ToString();
        }
        var hours = ns / 3_600_000_000_000;
        var rest = ns % 3_600_000_000_000;
        var minutes = rest / 60_000_000_000;
        var secondsNs = rest % 60_000_000_000;
        if (hours > 0) sb.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
        if (hours > 0 || minutes > 0) sb.Append(minutes.ToString(CultureInfo.InvariantCulture)).Append('m');
        sb.Append(Fraction(secondsNs, 1_000_000_000)).Append('s');
        return sb.ToString();
    }

    private static string Fraction(long value, long scale)
    {
        var whole = (value / scale).ToString(CultureInfo.InvariantCulture);
        var frac = value % scale;
        if (frac == 0) return whole;
        var digits = scale.ToString(CultureInfo.InvariantCulture).Length - 1;
        return whole + "." + frac.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
    }
}
