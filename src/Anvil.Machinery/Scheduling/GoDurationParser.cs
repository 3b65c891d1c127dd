using System.Globalization;

namespace Anvil.Machinery.Scheduling;

/// <summary>Go's time.ParseDuration: "1h30m", "90s", "1.5h", "-2m", "0".</summary>
public static class GoDurationParser
{
    private static readonly (string Unit, double Ticks)[] Units =
    [
        ("ns", 0.01), ("us", 10), ("µs", 10), ("μs", 10), ("ms", TimeSpan.TicksPerMillisecond),
        ("s", TimeSpan.TicksPerSecond), ("m", TimeSpan.TicksPerMinute), ("h", TimeSpan.TicksPerHour),
    ];

    public static bool IsValid(string s) => TryParse(s, out _);

    public static bool TryParse(string s, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var i = 0;
        var negative = false;
        if (i < s.Length && s[i] is '+' or '-') negative = s[i++] == '-';
        if (s[i..] == "0") return true;
        if (i == s.Length) return false;
        double ticks = 0;
        while (i < s.Length)
        {
            var start = i;
            while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.')) i++;
            var number = s[start..i];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1) return false;
            if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value)) return false;
            var unitStart = i;
            while (i < s.Length && !char.IsAsciiDigit(s[i]) && s[i] != '.') i++;
            var unit = s[unitStart..i];
            var match = Units.FirstOrDefault(u => u.Unit == unit);
            if (match.Unit == null) return false;
            ticks += value * match.Ticks;
        }
        if (ticks > TimeSpan.MaxValue.Ticks) return false;
        duration = TimeSpan.FromTicks((long)(negative ? -ticks : ticks));
        return true;
    }
}
