using System.Globalization;
using System.Text;

namespace Anvil.Machinery.Selectors;

/// <summary>Go's fmt verbs that Kubernetes error messages rely on (%q for strings, %#v for []string).</summary>
internal static class GoFormat
{
    public static string Quote(string s)
    {
        var sb = new StringBuilder(s.Length + 2);
        sb.Append('"');
        foreach (var rune in s.EnumerateRunes())
        {
            switch (rune.Value)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\a': sb.Append("\\a"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\v': sb.Append("\\v"); break;
                default:
                    if (rune.Value < 0x20 || rune.Value == 0x7f)
                        sb.Append("\\x").Append(rune.Value.ToString("x2", CultureInfo.InvariantCulture));
                    else if (Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
                             or UnicodeCategory.OtherNotAssigned or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse)
                        sb.Append(rune.Value > 0xffff ? "\\U" + rune.Value.ToString("x8", CultureInfo.InvariantCulture)
                                                      : "\\u" + rune.Value.ToString("x4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(rune.ToString());
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>%#v of a []string: <c>[]string{"a", "b"}</c>, <c>[]string{}</c>, or <c>[]string(nil)</c>.</summary>
    public static string StringSlice(IReadOnlyList<string>? values) =>
        values == null ? "[]string(nil)" : "[]string{" + string.Join(", ", values.Select(Quote)) + "}";
}
