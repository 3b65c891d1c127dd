using System.Globalization;
using System.Text;

namespace Anvil.Controllers.Job;

/// <summary>status.completedIndexes: ordered ranges like "1,3-5,7".</summary>
internal static class CompletedIndexes
{
    public static SortedSet<int> Parse(string text, int completions)
    {
        var set = new SortedSet<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var bounds = part.Split('-');
            if (!int.TryParse(bounds[0], NumberStyles.None, CultureInfo.InvariantCulture, out var low)) continue;
            var high = low;
            if (bounds.Length == 2 && !int.TryParse(bounds[1], NumberStyles.None, CultureInfo.InvariantCulture, out high)) continue;
            for (var i = low; i <= high && i < completions; i++) set.Add(i);
        }
        return set;
    }

    public static string Format(IEnumerable<int> indexes)
    {
        var sb = new StringBuilder();
        int? start = null, prev = null;
        void Flush()
        {
            if (start == null) return;
            if (sb.Length > 0) sb.Append(',');
            sb.Append(start.Value.ToString(CultureInfo.InvariantCulture));
            // Go's orderedIntervals.String: "3,4" for two neighbours, "3-5" for longer runs.
            if (prev != start) sb.Append(prev == start + 1 ? ',' : '-').Append(prev!.Value.ToString(CultureInfo.InvariantCulture));
        }
        foreach (var i in indexes.Order())
        {
            if (prev != null && i == prev + 1) { prev = i; continue; }
            Flush();
            start = prev = i;
        }
        Flush();
        return sb.ToString();
    }
}
