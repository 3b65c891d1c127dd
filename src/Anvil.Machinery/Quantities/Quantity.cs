using System.Globalization;
using System.Numerics;
using System.Text;

namespace Anvil.Machinery.Quantities;

/// <summary>
/// A Kubernetes resource quantity (k8s.io/apimachinery/pkg/api/resource). The value is held exactly as an
/// integer count of nano-units, which is all the precision Kubernetes keeps: parsing rounds up to 1n and caps
/// at 2^63-1. <see cref="ToString"/> is the canonical form kube-apiserver serializes.
/// </summary>
public readonly struct Quantity : IEquatable<Quantity>, IComparable<Quantity>
{
    public const string FormatWrongMessage =
        "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
    public const string NumericMessage = "unable to parse numeric part of quantity";
    public const string SuffixMessage = "unable to parse quantity's suffix";

    private static readonly BigInteger NanosPerUnit = 1_000_000_000;
    private static readonly BigInteger MaxNanos = new BigInteger(long.MaxValue) * NanosPerUnit;

    private readonly BigInteger _nanos;
    // The input string when it was already canonical; Kubernetes echoes it back unchanged (e.g. "+1").
    private readonly string? _cached;

    public QuantityFormat Format { get; }

    private Quantity(BigInteger nanos, QuantityFormat format, string? cached = null)
    {
        _nanos = nanos;
        Format = format;
        _cached = cached;
    }

    public static Quantity Zero => new(BigInteger.Zero, QuantityFormat.DecimalSI);

    public static Quantity FromValue(long value, QuantityFormat format = QuantityFormat.DecimalSI) => new(value * NanosPerUnit, format);

    public static Quantity FromMilli(long milli, QuantityFormat format = QuantityFormat.DecimalSI) => new(milli * (BigInteger)1_000_000, format);

    public bool IsZero => _nanos.IsZero;

    public int Sign => _nanos.Sign;

    /// <summary>The value rounded up (away from zero) to a whole unit, as <c>Quantity.Value()</c>.</summary>
    public long Value => ScaledValue(NanosPerUnit);

    /// <summary>The value in thousandths rounded up (away from zero), as <c>Quantity.MilliValue()</c>.</summary>
    public long MilliValue => ScaledValue(1_000_000);

    /// <summary>The exact value as a decimal (always representable: at most 2^63 units with 9 fraction digits).</summary>
    public decimal ToDecimal() => (decimal)_nanos / 1_000_000_000m;

    private long ScaledValue(BigInteger divisor)
    {
        var q = BigInteger.DivRem(_nanos, divisor, out var rem);
        if (!rem.IsZero) q += _nanos.Sign;
        if (q > long.MaxValue) return long.MaxValue;
        if (q < long.MinValue) return long.MinValue;
        return (long)q;
    }

    public static Quantity Parse(string s) =>
        TryParse(s, out var q, out var error) ? q : throw new FormatException(error);

    public static bool TryParse(string? s, out Quantity quantity) => TryParse(s, out quantity, out _);

    /// <summary>Parses like <c>resource.ParseQuantity</c>; <paramref name="error"/> carries its message.</summary>
    public static bool TryParse(string? s, out Quantity quantity, out string? error)
    {
        quantity = default;
        error = null;
        if (string.IsNullOrEmpty(s))
        {
            error = FormatWrongMessage;
            return false;
        }
        if (s == "0")
        {
            quantity = new Quantity(BigInteger.Zero, QuantityFormat.DecimalSI, s);
            return true;
        }
        if (!Split(s, out var positive, out var num, out var denom, out var suffix))
        {
            error = FormatWrongMessage;
            return false;
        }
        if (!InterpretSuffix(suffix, out var binary, out var exponent, out var format))
        {
            error = SuffixMessage;
            return false;
        }

        // Exact value = ±digits × 10^-len(denom) × base^exponent, then rounded up to nano and capped.
        var digits = BigInteger.Parse(num + denom, NumberStyles.None, CultureInfo.InvariantCulture);
        BigInteger numerator = digits, denominator = BigInteger.One;
        if (!digits.IsZero)
        {
            var scale10 = (long)exponent - denom.Length;
            if (binary)
            {
                numerator <<= exponent;
                denominator = BigInteger.Pow(10, denom.Length);
            }
            else if (scale10 > 30) // at least 10^31: far beyond the cap
                numerator = MaxNanos;
            else if (scale10 >= 0)
                numerator *= BigInteger.Pow(10, (int)scale10);
            else if ((long)num.Length + exponent < -12) // below 10^-12: rounds up to 1n
            {
                numerator = BigInteger.One;
                denominator = BigInteger.Pow(10, 30);
            }
            else
                denominator = BigInteger.Pow(10, (int)-scale10);
        }
        numerator *= NanosPerUnit;
        var nanos = BigInteger.DivRem(numerator, denominator, out var rem);
        if (!rem.IsZero) nanos += 1; // round up, away from zero (sign applied below)
        if (nanos > MaxNanos) nanos = MaxNanos;
        if (format == QuantityFormat.BinarySI && nanos < NanosPerUnit && !nanos.IsZero) format = QuantityFormat.DecimalSI;
        if (!positive) nanos = -nanos;

        quantity = new Quantity(nanos, format, IsCachedCanonical(num, denom, binary, exponent, digits) ? s : null);
        return true;
    }

    // Mirrors the fast path of ParseQuantity, which keeps the input string when it is already canonical.
    private static bool IsCachedCanonical(string num, string denom, bool binary, int exponent, BigInteger digits)
    {
        var shifted = num + denom;
        if (binary)
        {
            if (denom.Length != 0) return false;
            var precision = 15 - num.Length - (int)(exponent * 3f / 10f) - 1;
            if (precision < 0 || (digits << exponent) > long.MaxValue) return false;
            return exponent % 10 == 0 && (digits & 0x07) != 0;
        }
        if (18 - shifted.Length < 0) return false;
        var scale = exponent - denom.Length;
        if (scale < -9) return false;
        return scale % 3 == 0 && !shifted.EndsWith("000", StringComparison.Ordinal) && shifted[0] != '0';
    }

    // parseQuantityString: sign, digits, optional fraction, suffix letters, optional signed exponent digits.
    private static bool Split(string str, out bool positive, out string num, out string denom, out string suffix)
    {
        positive = true;
        num = "0";
        denom = "";
        suffix = "";
        int pos = 0, end = str.Length;
        if (str[0] == '-') { positive = false; pos++; }
        else if (str[0] == '+') pos++;

        while (pos < end && str[pos] == '0') pos++;
        if (pos >= end) return true;

        var start = pos;
        while (pos < end && char.IsAsciiDigit(str[pos])) pos++;
        num = pos > start ? str[start..pos] : "0";
        if (pos >= end) return true;

        if (str[pos] == '.')
        {
            pos++;
            start = pos;
            while (pos < end && char.IsAsciiDigit(str[pos])) pos++;
            denom = str[start..pos];
            if (pos >= end) return true;
        }

        var suffixStart = pos;
        while (pos < end && "eEinumkKMGTP".Contains(str[pos])) pos++;
        if (pos < end && (str[pos] == '-' || str[pos] == '+')) pos++;
        while (pos < end && char.IsAsciiDigit(str[pos])) pos++;
        if (pos < end) return false;
        suffix = str[suffixStart..];
        return true;
    }

    private static bool InterpretSuffix(string suffix, out bool binary, out int exponent, out QuantityFormat format)
    {
        binary = false;
        format = QuantityFormat.DecimalSI;
        exponent = suffix switch
        {
            "n" => -9, "u" => -6, "m" => -3, "" => 0, "k" => 3, "M" => 6, "G" => 9, "T" => 12, "P" => 15, "E" => 18,
            _ => int.MinValue,
        };
        if (exponent != int.MinValue) return true;
        exponent = suffix switch
        {
            "Ki" => 10, "Mi" => 20, "Gi" => 30, "Ti" => 40, "Pi" => 50, "Ei" => 60,
            _ => int.MinValue,
        };
        if (exponent != int.MinValue)
        {
            binary = true;
            format = QuantityFormat.BinarySI;
            return true;
        }
        format = QuantityFormat.DecimalExponent;
        if (suffix.Length > 1 && (suffix[0] == 'e' || suffix[0] == 'E')
            && long.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var parsed))
        {
            exponent = unchecked((int)parsed); // Go truncates to int32 as well
            return true;
        }
        exponent = 0;
        return false;
    }

    /// <summary>The canonical string (CanonicalizeBytes): <c>1.5Gi</c> → <c>1536Mi</c>, <c>0.5</c> → <c>500m</c>.</summary>
    public override string ToString()
    {
        if (_cached != null) return _cached;
        if (_nanos.IsZero) return "0";

        var format = Format;
        if (format == QuantityFormat.BinarySI)
        {
            var abs = BigInteger.Abs(_nanos);
            if (abs < 1024 * NanosPerUnit || !(abs % NanosPerUnit).IsZero) format = QuantityFormat.DecimalSI;
        }

        if (format == QuantityFormat.BinarySI)
        {
            var value = _nanos / NanosPerUnit;
            var times = 0;
            while (BigInteger.Abs(value) >= 1024 && (value % 1024).IsZero)
            {
                value /= 1024;
                times++;
            }
            var suffix = times switch { 0 => "", 1 => "Ki", 2 => "Mi", 3 => "Gi", 4 => "Ti", 5 => "Pi", _ => "Ei" };
            return value.ToString(CultureInfo.InvariantCulture) + suffix;
        }

        var mantissa = _nanos;
        var exponent = -9;
        while (BigInteger.Abs(mantissa) >= 10 && (mantissa % 10).IsZero)
        {
            mantissa /= 10;
            exponent++;
        }
        while (exponent % 3 != 0)
        {
            mantissa *= 10;
            exponent--;
        }
        var number = mantissa.ToString(CultureInfo.InvariantCulture);
        if (format == QuantityFormat.DecimalExponent)
            return exponent == 0 ? number : number + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        return number + exponent switch
        {
            -9 => "n", -6 => "u", -3 => "m", 0 => "", 3 => "k", 6 => "M", 9 => "G", 12 => "T", 15 => "P", _ => "E",
        };
    }

    /// <summary>Sum; keeps this quantity's format unless it is zero (resource.Quantity.Add).</summary>
    public Quantity Add(Quantity other) => new(_nanos + other._nanos, IsZero ? other.Format : Format);

    public Quantity Subtract(Quantity other) => new(_nanos - other._nanos, IsZero ? other.Format : Format);

    public Quantity Negate() => new(-_nanos, Format);

    public int CompareTo(Quantity other) => _nanos.CompareTo(other._nanos);

    public bool Equals(Quantity other) => _nanos == other._nanos;

    public override bool Equals(object? obj) => obj is Quantity q && Equals(q);

    public override int GetHashCode() => _nanos.GetHashCode();

    public static Quantity operator +(Quantity a, Quantity b) => a.Add(b);
    public static Quantity operator -(Quantity a, Quantity b) => a.Subtract(b);
    public static bool operator ==(Quantity a, Quantity b) => a.Equals(b);
    public static bool operator !=(Quantity a, Quantity b) => !a.Equals(b);
    public static bool operator <(Quantity a, Quantity b) => a.CompareTo(b) < 0;
    public static bool operator >(Quantity a, Quantity b) => a.CompareTo(b) > 0;
    public static bool operator <=(Quantity a, Quantity b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Quantity a, Quantity b) => a.CompareTo(b) >= 0;
}
