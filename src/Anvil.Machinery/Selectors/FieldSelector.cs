using System.Globalization;
using System.Text;
using Anvil.Machinery.Errors;

namespace Anvil.Machinery.Selectors;

/// <summary>
/// A field selector (k8s.io/apimachinery/pkg/fields): comma-separated <c>f=v</c>, <c>f==v</c>, <c>f!=v</c> terms,
/// ANDed, with <c>\</c> escaping <c>\</c>, <c>,</c> and <c>=</c> in values. Which fields a kind supports is
/// <see cref="FieldSelectorFields"/>' business. Immutable and thread-safe.
/// </summary>
public sealed class FieldSelector
{
    public IReadOnlyList<FieldRequirement> Requirements { get; }

    private FieldSelector(IReadOnlyList<FieldRequirement> requirements) => Requirements = requirements;

    public static FieldSelector Everything { get; } = new([]);

    public bool IsEmpty => Requirements.Count == 0;

    /// <summary>The field names used, in selector order (for rejecting unsupported ones).</summary>
    public IEnumerable<string> Fields => Requirements.Select(r => r.Field).Distinct();

    /// <summary>fields.ParseSelector; errors are 400 BadRequest with upstream's message.</summary>
    public static FieldSelector Parse(string? selector)
    {
        if (string.IsNullOrEmpty(selector)) return Everything;
        // Terms are sorted before parsing, which also fixes the canonical order of String().
        var parts = SplitTerms(selector);
        parts.Sort(StringComparer.Ordinal);
        var requirements = new List<FieldRequirement>();
        foreach (var part in parts)
        {
            if (part.Length == 0) continue;
            if (!SplitTerm(part, out var lhs, out var op, out var rhs))
                throw StatusError.BadRequest($"invalid selector: '{selector}'; can't understand '{part}'");
            requirements.Add(new FieldRequirement(lhs, op == "!=", UnescapeValue(rhs)));
        }
        return new FieldSelector(requirements);
    }

    public bool Matches(Func<string, string?> getField)
    {
        foreach (var r in Requirements)
            if (!r.Matches(getField))
                return false;
        return true;
    }

    /// <summary>When the selector requires <paramref name="field"/> to equal one value, that value.</summary>
    public bool RequiresExactMatch(string field, out string value)
    {
        foreach (var r in Requirements)
        {
            if (r.Field == field && !r.NotEquals)
            {
                value = r.Value;
                return true;
            }
        }
        value = "";
        return false;
    }

    public override string ToString() => string.Join(",", Requirements.Select(r => r.ToString()));

    public static string EscapeValue(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(",", "\\,", StringComparison.Ordinal).Replace("=", "\\=", StringComparison.Ordinal);

    /// <summary>fields.UnescapeValue: only <c>\\</c>, <c>\,</c>, <c>\=</c> are escapes; bare <c>,</c> and <c>=</c> are errors.</summary>
    public static string UnescapeValue(string s)
    {
        if (s.IndexOfAny(['\\', ',', '=']) < 0) return s;
        var sb = new StringBuilder(s.Length);
        var inSlash = false;
        foreach (var rune in s.EnumerateRunes())
        {
            if (inSlash)
            {
                if (rune.Value is '\\' or ',' or '=')
                    sb.Append(rune.ToString());
                else
                    throw StatusError.BadRequest("invalid field selector: invalid escape sequence: \\" + rune);
                inSlash = false;
                continue;
            }
            switch (rune.Value)
            {
                case '\\':
                    inSlash = true;
                    break;
                case ',' or '=':
                    // Go prints the rune with %v, i.e. as its code point number.
                    throw StatusError.BadRequest("invalid field selector: unescaped character in value: " + rune.Value.ToString(CultureInfo.InvariantCulture));
                default:
                    sb.Append(rune.ToString());
                    break;
            }
        }
        if (inSlash) throw StatusError.BadRequest("invalid field selector: invalid escape sequence: \\");
        return sb.ToString();
    }

    // Splits on commas not preceded by an escaping backslash.
    private static List<string> SplitTerms(string selector)
    {
        var terms = new List<string>();
        var start = 0;
        var inSlash = false;
        for (var i = 0; i < selector.Length; i++)
        {
            var c = selector[i];
            if (inSlash) inSlash = false;
            else if (c == '\\') inSlash = true;
            else if (c == ',')
            {
                terms.Add(selector[start..i]);
                start = i + 1;
            }
        }
        terms.Add(selector[start..]);
        return terms;
    }

    // The first operator occurrence wins, trying != then == then = at each position (escapes are not considered).
    private static bool SplitTerm(string term, out string lhs, out string op, out string rhs)
    {
        for (var i = 0; i < term.Length; i++)
        {
            foreach (var candidate in (ReadOnlySpan<string>)["!=", "==", "="])
            {
                if (string.CompareOrdinal(term, i, candidate, 0, candidate.Length) == 0 && i + candidate.Length <= term.Length)
                {
                    lhs = term[..i];
                    op = candidate;
                    rhs = term[(i + candidate.Length)..];
                    return true;
                }
            }
        }
        lhs = op = rhs = "";
        return false;
    }
}
