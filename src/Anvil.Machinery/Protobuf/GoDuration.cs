using System.Globalization;

namespace Anvil.Machinery.Protobuf;

/// <summary>Go's time.Duration.String(), the JSON form of metav1.Duration: "1h0m0s", "1m30s", "1.5s", "500ms", "0s".</summary>
internal static class GoDuration
{
    public static string Format(long nanoseconds)
    {
        if (nanoseconds == 0) return "0s";
        var negative = nanoseconds < 0;
        var u = negative ? (ulong)(-(nanoseconds + 1)) + 1 : (ulong)nanoseconds; // long.MinValue has no positive twin
        string text;
        if (u < 1_000_000_000UL)
        {
            // Below a second Go switches to the largest unit that keeps an integer part: 1.5ms, 20µs, 7ns.
            var (digits, unit) = u < 1_000UL ? (0, "ns") : u < 1_000_000UL ? (3, "µs") : (6, "ms");
            text = WithFraction(u, digits) + unit;
        }
        else
        {
            var seconds = u / 1_000_000_000UL;
            var fraction = Fraction(u % 1_000_000_000UL, 9);
            var s = (seconds % 60).ToString(CultureInfo.InvariantCulture) + fraction + "s";
            var minutes = seconds / 60;
            if (minutes == 0) text = s;
            else if (minutes < 60) text = minutes.ToString(CultureInfo.InvariantCulture) + "m" + s;
            else text = (minutes / 60).ToString(CultureInfo.InvariantCulture) + "h" + (minutes % 60).ToString(CultureInfo.InvariantCulture) + "m" + s;
        }
        return negative ? "-" + text : text;
    }

    private static string WithFraction(ulong value, int digits)
    {
        if (digits == 0) return value.ToString(CultureInfo.InvariantCulture);
        var scale = (ulong)Math.Pow(10, digits);
        return (value / scale).ToString(CultureInfo.InvariantCulture) + Fraction(value % scale, digits);
    }

    /// <summary>".5" for 500000000 of 9 digits; "" when zero (Go omits trailing zeros and a bare point).</summary>
    private static string Fraction(ulong value, int digits)
    {
        if (value == 0) return "";
        return "." + value.ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
    }
}
