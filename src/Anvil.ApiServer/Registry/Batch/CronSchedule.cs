using System.Globalization;

namespace Anvil.ApiServer.Registry.Batch;

/// <summary>
/// Validates a CronJob schedule the way robfig/cron's ParseStandard does (5 fields or a descriptor),
/// returning its error text (null when valid).
/// </summary>
internal static class CronSchedule
{
    readonly record struct Bounds(uint Min, uint Max, Dictionary<string, uint>? Names);

    static readonly Bounds Minutes = new(0, 59, null);
    static readonly Bounds Hours = new(0, 23, null);
    static readonly Bounds Dom = new(1, 31, null);
    static readonly Bounds Months = new(1, 12, new()
    {
        ["jan"] = 1, ["feb"] = 2, ["mar"] = 3, ["apr"] = 4, ["may"] = 5, ["jun"] = 6,
        ["jul"] = 7, ["aug"] = 8, ["sep"] = 9, ["oct"] = 10, ["nov"] = 11, ["dec"] = 12,
    });
    static readonly Bounds Dow = new(0, 6, new()
    {
        ["sun"] = 0, ["mon"] = 1, ["tue"] = 2, ["wed"] = 3, ["thu"] = 4, ["fri"] = 5, ["sat"] = 6,
    });

    public static string? Validate(string spec)
    {
        if (spec.Length == 0) return "empty spec string";
        if (spec.StartsWith("TZ=", StringComparison.Ordinal) || spec.StartsWith("CRON_TZ=", StringComparison.Ordinal))
        {
            var space = spec.IndexOf(' ');
            var eq = spec.IndexOf('=');
            if (space < 0) return $"provided bad location {spec[(eq + 1)..]}: unknown time zone {spec[(eq + 1)..]}";
            var zone = spec[(eq + 1)..space];
            if (!IsKnownZone(zone)) return $"provided bad location {zone}: unknown time zone {zone}";
            spec = spec[space..].Trim();
        }
        if (spec.StartsWith('@')) return ValidateDescriptor(spec);
        var fields = spec.Split([' ', '\t', '\n', '\r', '\v', '\f'], StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length != 5) return $"expected exactly 5 fields, found {fields.Length}: [{string.Join(" ", fields)}]";
        Bounds[] bounds = [Minutes, Hours, Dom, Months, Dow];
        for (var i = 0; i < 5; i++)
            foreach (var expr in fields[i].Split(','))
                if (GetRange(expr, bounds[i]) is { } err) return err;
        return null;
    }

    static bool IsKnownZone(string zone)
    {
        if (zone is "UTC" or "Local" or "") return true;
        try { TimeZoneInfo.FindSystemTimeZoneById(zone); return true; }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException) { return false; }
    }

    static string? ValidateDescriptor(string spec)
    {
        if (spec is "@yearly" or "@annually" or "@monthly" or "@weekly" or "@daily" or "@midnight" or "@hourly") return null;
        const string every = "@every ";
        if (spec.StartsWith(every, StringComparison.Ordinal))
            return GoDuration.IsValid(spec[every.Length..]) ? null
                : $"failed to parse duration {spec}: time: invalid duration \"{spec[every.Length..]}\"";
        return $"unrecognized descriptor: {spec}";
    }

    static string? GetRange(string expr, Bounds r)
    {
        var rangeAndStep = expr.Split('/');
        var lowAndHigh = rangeAndStep[0].Split('-');
        var single = lowAndHigh.Length == 1;
        uint start, end, step;
        string? err;
        if (lowAndHigh[0] is "*" or "?")
        {
            start = r.Min;
            end = r.Max;
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
                break;
            default: return $"too many slashes: {expr}";
        }
        if (start < r.Min) return $"beginning of range ({start}) below minimum ({r.Min}): {expr}";
        if (end > r.Max) return $"end of range ({end}) above maximum ({r.Max}): {expr}";
        if (start > end) return $"beginning of range ({start}) beyond end of range ({end}): {expr}";
        if (step == 0) return $"step of range should be a positive number: {expr}";
        return null;
    }

    static string? ParseIntOrName(string expr, Dictionary<string, uint>? names, out uint value)
    {
        if (names != null && names.TryGetValue(expr.ToLowerInvariant(), out value)) return null;
        return MustParseInt(expr, out value);
    }

    static string? MustParseInt(string expr, out uint value)
    {
        value = 0;
        // strconv.Atoi: optional sign, decimal digits only.
        var digits = expr.StartsWith('+') || expr.StartsWith('-') ? expr[1..] : expr;
        if (digits.Length == 0 || !digits.All(char.IsAsciiDigit))
            return $"failed to parse int from {expr}: strconv.Atoi: parsing {Anvil.Machinery.Validation.GoQuote.Quote(expr)}: invalid syntax";
        if (!long.TryParse(expr, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var num) || num > int.MaxValue)
            return $"failed to parse int from {expr}: strconv.Atoi: parsing {Anvil.Machinery.Validation.GoQuote.Quote(expr)}: value out of range";
        if (num < 0) return $"negative number ({num}) not allowed: {expr}";
        value = (uint)num;
        return null;
    }
}
