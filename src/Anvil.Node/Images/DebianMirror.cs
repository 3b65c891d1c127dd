namespace Anvil.Node.Images;

/// <summary>
/// The Debian mirror this machine's apt uses for a suite: the first <c>deb</c> source in
/// <c>/etc/apt/sources.list</c> (one-line format) or <c>/etc/apt/sources.list.d/*.list|*.sources</c> (deb822)
/// that carries the suite itself (not -security or -updates).
/// </summary>
public static class DebianMirror
{
    public static string? Find(string suite, string aptDir = "/etc/apt")
    {
        var files = new List<string>();
        var main = Path.Combine(aptDir, "sources.list");
        if (File.Exists(main)) files.Add(main);
        var dir = Path.Combine(aptDir, "sources.list.d");
        if (Directory.Exists(dir))
            files.AddRange(Directory.GetFiles(dir).Where(f => f.EndsWith(".list", StringComparison.Ordinal) || f.EndsWith(".sources", StringComparison.Ordinal)).Order(StringComparer.Ordinal));
        foreach (var f in files)
        {
            var text = File.ReadAllText(f);
            var found = f.EndsWith(".sources", StringComparison.Ordinal) ? FromDeb822(text, suite) : FromOneLine(text, suite);
            if (found != null) return found;
        }
        return null;
    }

    public static string? FromOneLine(string text, string suite)
    {
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Split('#')[0].Trim();
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
            if (f.Count < 3 || f[0] != "deb") continue;
            if (f[1].StartsWith('[')) // options: [arch=amd64 signed-by=...]
            {
                var end = f.FindIndex(x => x.EndsWith(']'));
                if (end < 0) continue;
                f.RemoveRange(1, end);
            }
            if (f.Count >= 3 && f[2] == suite) return f[1];
        }
        return null;
    }

    public static string? FromDeb822(string text, string suite)
    {
        foreach (var stanza in text.Replace("\r", "", StringComparison.Ordinal).Split("\n\n"))
        {
            var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            foreach (var line in stanza.Split('\n'))
            {
                if (line.StartsWith('#')) continue;
                var colon = line.IndexOf(':');
                if (colon > 0 && !char.IsWhiteSpace(line[0])) fields[line[..colon].Trim()] = line[(colon + 1)..].Trim();
            }
            if (fields.TryGetValue("Enabled", out var enabled) && enabled == "no") continue;
            if (!fields.TryGetValue("Types", out var types) || !types.Split(' ').Contains("deb")) continue;
            if (!fields.TryGetValue("Suites", out var suites) || !suites.Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(suite)) continue;
            if (fields.TryGetValue("URIs", out var uris) && uris.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { } uri) return uri;
        }
        return null;
    }
}
