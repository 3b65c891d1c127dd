using System.Text;

namespace Anvil.Cli;

/// <summary>Columns aligned like kubectl's tables: upper-case headers, three spaces between columns.</summary>
internal static class TextTable
{
    public static string Format(string[] headers, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { headers };
        all.AddRange(rows);
        var widths = headers.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        var sb = new StringBuilder();
        foreach (var r in all)
        {
            for (var i = 0; i < r.Length; i++)
            {
                if (i == r.Length - 1) sb.Append(r[i]);
                else sb.Append(r[i].PadRight(widths[i] + 3));
            }
            sb.Append('\n');
        }
        return sb.ToString();
    }
}
