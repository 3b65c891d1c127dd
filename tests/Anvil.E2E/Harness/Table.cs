using System.Text.RegularExpressions;

namespace Anvil.E2E.Harness;

/// <summary>
/// Reads kubectl's column output (tabwriter-aligned: every cell starts where its header starts) and
/// compares it cell by cell, so an AGE that ticks does not make a test flaky.
/// </summary>
public static partial class Table
{
    /// <summary>Matches an AGE cell (<c>0s</c>, <c>42s</c>, <c>2m3s</c>, <c>5m</c>).</summary>
    public const string Age = "\u0000age";

    /// <summary>A cell that must match a regular expression (anchored).</summary>
    public static string Re(string pattern) => "\u0000re:" + pattern;

    /// <summary>Splits a table into header cells and row cells by the header's column positions.</summary>
    public static (string[] Header, string[][] Rows) Parse(string text)
    {
        var lines = text.Replace("\r", "", StringComparison.Ordinal).TrimEnd('\n').Split('\n');
        if (lines.Length == 0 || lines[0].Length == 0) return ([], []);
        var starts = new List<int> { 0 };
        for (var i = 2; i < lines[0].Length; i++)
        {
            if (lines[0][i] != ' ' && lines[0][i - 1] == ' ' && lines[0][i - 2] == ' ') starts.Add(i);
        }
        string[] Cells(string line) =>
            [.. starts.Select((s, k) =>
            {
                if (s >= line.Length) return "";
                var end = k + 1 < starts.Count ? Math.Min(starts[k + 1], line.Length) : line.Length;
                return line[s..end].Trim();
            })];
        return (Cells(lines[0]), [.. lines.Skip(1).Select(Cells)]);
    }

    /// <summary>Asserts the exact header and rows (in order), with <see cref="Age"/> and <see cref="Re"/> cells.</summary>
    public static void AssertTable(KubectlResult result, string[] header, params string[][] rows)
    {
        result.Succeeded();
        var (h, r) = Parse(result.Stdout);
        var ok = h.SequenceEqual(header) && r.Length == rows.Length && r.Zip(rows).All(p => RowMatches(p.First, p.Second));
        if (!ok)
        {
            throw new Xunit.Sdk.XunitException(
                "table differs\nexpected:\n  " + string.Join(" | ", header) + "\n" +
                string.Join("\n", rows.Select(x => "  " + string.Join(" | ", x.Select(Show)))) +
                "\nactual (parsed):\n  " + string.Join(" | ", h) + "\n" +
                string.Join("\n", r.Select(x => "  " + string.Join(" | ", x))) + "\n" + result);
        }
    }

    /// <summary>Asserts that the table has a row matching <paramref name="row"/> (other rows may exist).</summary>
    public static void AssertHasRow(KubectlResult result, string[] header, string[] row)
    {
        result.Succeeded();
        var (h, r) = Parse(result.Stdout);
        if (!h.SequenceEqual(header) || !r.Any(x => RowMatches(x, row)))
        {
            throw new Xunit.Sdk.XunitException(
                $"expected header [{string.Join(" | ", header)}] and a row [{string.Join(" | ", row.Select(Show))}]\n" + result);
        }
    }

    public static bool RowMatches(string[] actual, string[] expected) =>
        actual.Length == expected.Length && actual.Zip(expected).All(p => CellMatches(p.First, p.Second));

    public static bool CellMatches(string actual, string expected)
    {
        if (expected == Age) return AgeRegex().IsMatch(actual);
        if (expected.StartsWith("\u0000re:", StringComparison.Ordinal)) return Regex.IsMatch(actual, "^(?:" + expected[4..] + ")$");
        return actual == expected;
    }

    private static string Show(string expected) =>
        expected == Age ? "<age>" : expected.StartsWith("\u0000re:", StringComparison.Ordinal) ? "/" + expected[4..] + "/" : expected;

    [GeneratedRegex(@"^(\d+s|\d+m\d*s?|\d+h\d*m?)$")]
    private static partial Regex AgeRegex();
}
