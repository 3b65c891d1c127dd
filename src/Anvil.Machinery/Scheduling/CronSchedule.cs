using System.Globalization;

namespace Anvil.Machinery.Scheduling;

/// <summary>
/// A cron schedule as robfig/cron's ParseStandard reads it (what the CronJob controller and validation use):
/// five fields (minute hour day-of-month month day-of-week), a descriptor (@hourly ... @yearly, @every
/// &lt;duration&gt;), optionally prefixed by TZ= or CRON_TZ=. Errors carry robfig's texts.
/// </summary>
public sealed class CronSchedule
{
    private readonly record struct Bounds(int Min, int Max, Dictionary<string, int>? Names);

    private static readonly Bounds Minutes = new(0, 59, null);
    private static readonly Bounds Hours = new(0, 23, null);
    private static readonly Bounds Dom = new(1, 31, null);
    private static readonly Bounds Months = new(1, 12, new()
    {
        ["jan"] = 1, ["feb"] = 2, ["mar"] = 3, ["apr"] = 4, ["may"] = 5, ["jun"] = 6,
        ["jul"] = 7, ["aug"] = 8, ["sep"] = 9, ["oct"] = 10, ["nov"] = 11, ["dec"] = 12,
    });
    private static readonly Bounds Dow = new(0, 6, new()
    {
        ["sun"] = 0, ["mon"] = 1, ["tue"] = 2, ["wed"] = 3, ["thu"] = 4, ["fri"] = 5, ["sat"] = 6,
    });

    // Bit i set when value i matches. A field written as "*" or "?" (no step) is a star: day-of-month and
    // day-of-week then combine with AND; when both are restricted they combine with OR, as in cron.
    private readonly ulong[] _bits = new ulong[5];
    private bool _domStar, _dowStar;
    private TimeSpan? _every;

    /// <summary>The zone the fields are read in (TZ= prefix, else the default given to Parse).</summary>
    public TimeZoneInfo Zone { get; private set; } = TimeZoneInfo.Utc;

    private CronSchedule()
    {
    }

    /// <summary>Returns robfig's error text for an invalid schedule, null when valid.</summary>
    public static string? Validate(string spec) => TryParse(spec, TimeZoneInfo.Utc, out _, out var err) ? null : err;

    /// <summary>Parses a schedule; <paramref name="defaultZone"/> applies without a TZ= prefix (robfig uses the process' local zone).</summary>
    public static bool TryParse(string spec, TimeZoneInfo defaultZone, out CronSchedule schedule, out string error)
    {
        schedule = new CronSchedule { Zone = defaultZone };
        error = Parse(schedule, spec) ?? "";
        return error.Length == 0;
    }

    private static string? Parse(CronSchedule s, string spec)
    {
        if (spec.Length == 0) return "empty spec string";
        if (spec.StartsWith("TZ=", StringComparison.Ordinal) || spec.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var space = spec.IndexOf(' ');
            var eq = spec.IndexOf('=');
            if (space < 0) return $"provided bad location {spec[(eq + 1)..]}: unknown time zone {spec[(eq + 1)..]}";
            var zoneName = spec[(eq + 1)..space];
            if (FindZone(zoneName) is not { } zone) return $"provided bad location {zoneName}: unknown time zone {zoneName}";
            s.Zone = zone;
            spec = spec[space..].Trim();
        }
        if (spec.StartsWith('@')) return ParseDescriptor(s, spec);
        var fields = spec.Split([' ', '\t', '\n', '\r', '\v', '\f'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5) return $"expected exactly 5 fields, found {fields.Length}: [{string.Join(" ", fields)}]";
        Bounds[] bounds = [Minutes, Hours, Dom, Months, Dow];
        for (var i = 0; i < 5; i++)
        {
            var star = false;
            foreach (var expr in fields[i].Split(','))
            {
                if (GetRange(expr, bounds[i], out var bits, out var isStar) is { } err) return err;
                s._bits[i] |= bits;
                star |= isStar;
            }
            if (i == 2) s._domStar = star;
            if (i == 4) s._dowStar = star;
        }
        return null;
    }

    /// <summary>An IANA zone (Go's time.LoadLocation): "" and "UTC" are UTC, "Local" the process' zone.</summary>
    public static TimeZoneInfo? FindZone(string zone)
    {
        if (zone is "UTC" or "") return TimeZoneInfo.Utc;
        if (zone == "Local") return TimeZoneInfo.Local;
        try { return TimeZoneInfo.FindSystemTimeZoneById(zone); }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { return null; }
    }

    private static string? ParseDescriptor(CronSchedule s, string spec)
    {
        string? fields = spec switch
        {
            "@yearly" or "@annually" => "0 0 1 1 *",
            "@monthly" => "0 0 1 * *",
            "@weekly" => "0 0 * * 0",
            "@daily" or "@midnight" => "0 0 * * *",
            "@hourly" => "0 * * * *",
            _ => null,
        };
        if (fields != null) return Parse(s, fields);
        const string every = "@every ";
        if (spec.StartsWith(every, StringComparison.Ordinal))
        {
            if (!GoDurationParser.TryParse(spec[every.Length..], out var d))
                return $"failed to parse duration {spec}: time: invalid duration \"{spec[every.Length..]}\"";
            // robfig: at least a second, whole seconds only.
            if (d < TimeSpan.FromSeconds(1)) d = TimeSpan.FromSeconds(1);
            s._every = TimeSpan.FromSeconds(Math.Floor(d.TotalSeconds));
            return null;
        }
        return $"unrecognized descriptor: {spec}";
    }

    private static string? GetRange(string expr, Bounds r, out ulong bits, out bool star)
    {
        bits = 0;
        star = false;
        var rangeAndStep = expr.Split('/');
        var lowAndHigh = rangeAndStep[0].Split('-');
        var single = lowAndHigh.Length == 1;
        int start, end, step;
        string? err;
        if (lowAndHigh[0] is "*" or "?")
        {
            start = r.Min;
            end = r.Max;
            star = true;
        }
        else
        {
            if ((err = ParseIntOrName(lowAndHigh[0], r.Names, out start)) != null) return err;
            switch (lowAndHigh.Length)
            {
                case 1: end = start; break;
                case 2:
                    if ((err = ParseIntOrName(lowAndHigh[1], r.Names, out end)) != null) return err;
                    break;
                default: return $"too many hyphens: {expr}";
            }
        }
        switch (rangeAndStep.Length)
        {
            case 1: step = 1; break;
            case 2:
                if ((err = MustParseInt(rangeAndStep[1], out step)) != null) return err;
                if (single) end = r.Max;
                if (step > 1) star = false;
                break;
            default: return $"too many slashes: {expr}";
        }
        if (start < r.Min) return $"beginning of range ({start}) below minimum ({r.Min}): {expr}";
        if (end > r.Max) return $"end of range ({end}) above maximum ({r.Max}): {expr}";
        if (start > end) return $"beginning of range ({start}) beyond end of range ({end}): {expr}";
        if (step == 0) return $"step of range should be a positive number: {expr}";
        for (var v = start; v <= end; v += step) bits |= 1UL << v;
        return null;
    }

    private static string? ParseIntOrName(string expr, Dictionary<string, int>? names, out int value)
    {
        if (names != null && names.TryGetValue(expr.ToLowerInvariant(), out value)) return null;
        return MustParseInt(expr, out value);
    }

    private static string? MustParseInt(string expr, out int value)
    {
        value = 0;
        // strconv.Atoi: optional sign, decimal digits only.
        var digits = expr.StartsWith('+') || expr.StartsWith('-') ? expr[1..] : expr;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
            return $"failed to parse int from {expr}: strconv.Atoi: parsing {Validation.GoQuote.Quote(expr)}: invalid syntax";
        if (!long.TryParse(expr, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var num) || num > int.MaxValue)
            return $"failed to parse int from {expr}: strconv.Atoi: parsing {Validation.GoQuote.Quote(expr)}: value out of range";
        if (num < 0) return $"negative number ({num}) not allowed: {expr}";
        value = (int)num;
        return null;
    }

    /// <summary>
    /// The first activation strictly after <paramref name="t"/> (for fields: the next whole minute that
    /// matches, read in <see cref="Zone"/>). <see cref="DateTimeOffset.MinValue"/> when nothing matches
    /// within five years (e.g. "0 0 30 2 *"), as robfig returns the zero time.
    /// </summary>
    public DateTimeOffset Next(DateTimeOffset t)
    {
        if (_every is { } every) return t.AddTicks(-(t.Ticks % TimeSpan.TicksPerSecond)).Add(every);
        var localT = TimeZoneInfo.ConvertTime(t, Zone);
        var local = localT.DateTime;
        var wall = new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, DateTimeKind.Unspecified).AddMinutes(1);
        var next = NextWall(wall, t);
        // Inside the first pass of a repeated (fall-back) hour the wall clock comes back: its second pass
        // may hold an earlier match, as robfig (which steps in absolute time) finds.
        if (Zone.IsAmbiguousTime(local) && Zone.GetAmbiguousTimeOffsets(local) is { } offsets && localT.Offset == offsets.Max())
        {
            var start = new DateTime(local.Year, local.Month, local.Day, local.Hour, local.Minute, 0, DateTimeKind.Unspecified);
            while (Zone.IsAmbiguousTime(start.AddMinutes(-1))) start = start.AddMinutes(-1);
            for (var w = start; Zone.IsAmbiguousTime(w); w = w.AddMinutes(1))
            {
                if (!Matches(w)) continue;
                var second = new DateTimeOffset(w, offsets.Min());
                if (second > t && (next == DateTimeOffset.MinValue || second < next)) next = second;
                break;
            }
        }
        return next;
    }

    private bool Matches(DateTime wall) => Has(3, wall.Month) && DayMatches(wall) && Has(1, wall.Hour) && Has(0, wall.Minute);

    private DateTimeOffset NextWall(DateTime wall, DateTimeOffset t)
    {
        var limit = wall.AddYears(5);
        while (wall <= limit)
        {
            if (!Has(3, wall.Month))
            {
                wall = new DateTime(wall.Year, wall.Month, 1, 0, 0, 0, DateTimeKind.Unspecified).AddMonths(1);
                continue;
            }
            if (!DayMatches(wall))
            {
                wall = wall.Date.AddDays(1);
                continue;
            }
            if (!Has(1, wall.Hour))
            {
                wall = wall.Date.AddHours(wall.Hour + 1);
                continue;
            }
            if (!Has(0, wall.Minute))
            {
                wall = wall.AddMinutes(1);
                continue;
            }
            if (ToInstant(wall, t) is { } instant) return instant;
            wall = wall.AddMinutes(1);
        }
        return DateTimeOffset.MinValue;
    }

    private bool Has(int field, int value) => (_bits[field] & (1UL << value)) != 0;

    private bool DayMatches(DateTime wall)
    {
        var dom = Has(2, wall.Day);
        var dow = Has(4, (int)wall.DayOfWeek);
        return _domStar || _dowStar ? dom && dow : dom || dow;
    }

    /// <summary>The instant of a wall-clock time after <paramref name="after"/>; null in a DST gap.</summary>
    private DateTimeOffset? ToInstant(DateTime wall, DateTimeOffset after)
    {
        if (Zone.IsInvalidTime(wall)) return null;
        var offsets = Zone.IsAmbiguousTime(wall) ? Zone.GetAmbiguousTimeOffsets(wall) : [Zone.GetUtcOffset(wall)];
        return offsets.Select(o => new DateTimeOffset(wall, o)).Where(i => i > after).OrderBy(i => i).Cast<DateTimeOffset?>().FirstOrDefault();
    }
}
