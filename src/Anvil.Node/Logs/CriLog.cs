using System.Globalization;

namespace Anvil.Node.Logs;

/// <summary>
/// The CRI log format conmon writes (<c>2024-01-02T03:04:05.123456789+00:00 stdout F text</c>) and what the
/// kubelet's /containerLogs serves from it: tailLines, sinceSeconds/sinceTime, timestamps, limitBytes.
/// </summary>
public static class CriLog
{
    public static bool TryParse(string line, out CriLogLine parsed)
    {
        parsed = null!;
        var a = line.IndexOf(' ');
        if (a <= 0) return false;
        var b = line.IndexOf(' ', a + 1);
        if (b <= 0) return false;
        var c = line.IndexOf(' ', b + 1);
        var tag = c < 0 ? line[(b + 1)..] : line[(b + 1)..c];
        if (!DateTimeOffset.TryParse(line[..a], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)) return false;
        parsed = new CriLogLine(time, line[(a + 1)..b], !tag.StartsWith('P'), c < 0 ? "" : line[(c + 1)..]);
        return true;
    }

    public static IEnumerable<CriLogLine> Parse(IEnumerable<string> lines)
    {
        foreach (var l in lines)
            if (TryParse(l, out var p)) yield return p;
    }

    /// <summary>RFC 3339 with nanoseconds in UTC, as <c>kubectl logs --timestamps</c> prints it.</summary>
    public static string FormatTimestamp(string rawTime)
    {
        // Keep conmon's nanoseconds (DateTimeOffset has only 100 ns ticks): rewrite the offset to Z.
        var plus = rawTime.LastIndexOfAny(['+', '-']);
        if (plus > 10 && rawTime[plus..] is "+00:00" or "-00:00") return rawTime[..plus] + "Z";
        return DateTimeOffset.Parse(rawTime, CultureInfo.InvariantCulture).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
    }

    /// <summary>The text kubectl logs shows for the given raw log lines and options (no follow).</summary>
    public static string Render(IEnumerable<string> rawLines, LogOptions options)
    {
        var selected = new List<(string Raw, CriLogLine Line)>();
        var since = options.SinceSeconds is { } s ? DateTimeOffset.UtcNow.AddSeconds(-s) : options.SinceTime;
        foreach (var raw in rawLines)
        {
            if (!TryParse(raw, out var l)) continue;
            if (since != null && l.Time < since) continue;
            selected.Add((raw, l));
        }
        if (options.TailLines is { } tail)
        {
            // Lines are whole lines (F); partial chunks belong to the line that ends them.
            var full = 0;
            var start = selected.Count;
            for (var i = selected.Count - 1; i >= 0; i--)
            {
                if (selected[i].Line.Full) { if (full == tail) break; full++; }
                start = i;
            }
            if (tail == 0) start = selected.Count;
            selected = selected.GetRange(start, selected.Count - start);
        }
        var sb = new System.Text.StringBuilder();
        foreach (var (raw, l) in selected)
        {
            if (options.Timestamps) sb.Append(FormatTimestamp(raw[..raw.IndexOf(' ')])).Append(' ');
            sb.Append(l.Text);
            if (l.Full) sb.Append('\n');
        }
        var text = sb.ToString();
        if (options.LimitBytes is { } limit && System.Text.Encoding.UTF8.GetByteCount(text) > limit)
            text = System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(text), 0, (int)Math.Min(limit, int.MaxValue));
        return text;
    }
}
