using System.Globalization;
using Anvil.Node.Images;

namespace Anvil.Cli;

/// <summary>
/// <c>anvil images list|import|build|remove</c>: the node's local image store (registry <c>anvil.local</c>) in a
/// data dir. Works whether or not <c>anvil up</c> runs on it: every store change is a rename into place, and
/// images that containers still use stay on disk until they are unused.
/// </summary>
internal static class ImagesCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0) return Program.Fail("images needs a subcommand: list, import, build, remove");
        var dataDir = DataDirs.Default();
        string? recipe = null, mirror = null;
        var positional = new List<string>();
        for (var i = 1; i < args.Length; i++)
        {
            if (!args[i].StartsWith('-') || args[i] == "-")
            {
                positional.Add(args[i]);
                continue;
            }
            var (flag, value) = UpCommand.SplitFlag(args, ref i);
            switch (flag)
            {
                case "--data-dir":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--data-dir needs a value");
                    dataDir = Path.GetFullPath(value);
                    break;
                case "-f" or "--file" when args[0] == "build":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("-f needs a recipe file");
                    recipe = value;
                    break;
                case "--mirror" when args[0] == "build":
                    if (string.IsNullOrEmpty(value)) return Program.Fail("--mirror needs a URL");
                    mirror = value;
                    break;
                default:
                    return Program.Fail($"unknown flag \"{flag}\" for \"anvil images {args[0]}\"");
            }
        }
        var store = new ImageStore(dataDir);
        try
        {
            return args[0] switch
            {
                "list" or "ls" => positional.Count == 0 ? List(store) : Program.Fail("images list takes no arguments"),
                "import" => positional.Count == 2 ? await ImportAsync(store, positional[0], positional[1]).ConfigureAwait(false)
                    : Program.Fail("usage: anvil images import NAME[:TAG] PATH"),
                "build" => positional.Count == 0 && recipe != null ? await BuildAsync(store, recipe, mirror).ConfigureAwait(false)
                    : Program.Fail("usage: anvil images build -f RECIPE.yaml [--mirror URL]"),
                "remove" or "rm" => positional.Count > 0 ? Remove(store, positional) : Program.Fail("usage: anvil images remove NAME[:TAG]..."),
                _ => Program.Fail($"unknown command \"{args[0]}\" for \"anvil images\""),
            };
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidDataException or UnauthorizedAccessException)
        {
            return Program.Fail(e.Message);
        }
    }

    private static int List(ImageStore store)
    {
        var now = DateTimeOffset.UtcNow;
        var rows = new List<string[]> { new[] { "NAME", "TAG", "IMAGE ID", "SIZE", "CREATED" } };
        foreach (var i in store.List())
            rows.Add([$"{ImageReference.LocalRegistry}/{i.Name}", i.Tag, i.ShortId, HumanSize(i.Size), HumanDuration(now - i.Created) + " ago"]);
        var widths = Enumerable.Range(0, 5).Select(c => rows.Max(r => r[c].Length)).ToArray();
        foreach (var r in rows)
            Console.Out.WriteLine(string.Join("   ", r.Select((cell, c) => c == 4 ? cell : cell.PadRight(widths[c]))).TrimEnd());
        return 0;
    }

    /// <summary>NAME[:TAG] of the local store; other registries are refused.</summary>
    private static ImageReference Local(string text)
    {
        var r = ImageReference.Parse(text);
        if (r.LocalName == null) throw new FormatException($"\"{text}\" names the registry {r.Registry}; images here are in {ImageReference.LocalRegistry}");
        if (r.Digest != null) throw new FormatException($"\"{text}\": a digest cannot name an image to store");
        return r;
    }

    private static async Task<int> ImportAsync(ImageStore store, string name, string path)
    {
        var r = Local(name);
        var image = await store.ImportAsync(r.LocalName!, r.Tag, path, CancellationToken.None).ConfigureAwait(false);
        Console.Out.WriteLine($"imported {image.Reference} ({image.Digest}, {HumanSize(image.Size)})");
        return 0;
    }

    private static async Task<int> BuildAsync(ImageStore store, string recipeFile, string? mirror)
    {
        var recipe = ImageRecipe.Parse(await File.ReadAllTextAsync(recipeFile).ConfigureAwait(false));
        mirror ??= DebianMirror.Find(recipe.Suite);
        if (mirror == null) return Program.Fail($"no Debian mirror for {recipe.Suite} in /etc/apt/sources.list*; give one with --mirror");
        Console.Out.WriteLine($"building {ImageReference.LocalRegistry}/{recipe.Name}:{recipe.Tag} from {recipe.Suite} ({mirror})"
            + (recipe.Packages.Count > 0 ? $" with {string.Join(", ", recipe.Packages)}" : ""));
        var image = await store.BuildAsync(recipe, mirror, CancellationToken.None).ConfigureAwait(false);
        Console.Out.WriteLine($"built {image.Reference} ({image.Digest}, {HumanSize(image.Size)})");
        return 0;
    }

    private static int Remove(ImageStore store, List<string> names)
    {
        var code = 0;
        foreach (var n in names)
        {
            var r = Local(n);
            var image = store.Find(r.LocalName!, r.Tag);
            var inUse = image != null && store.InUse(image);
            if (!store.Remove(r.LocalName!, r.Tag))
            {
                Console.Error.WriteLine($"anvil: image {ImageReference.LocalRegistry}/{r.LocalName}:{r.Tag} not found");
                code = 1;
                continue;
            }
            Console.Out.WriteLine($"removed {ImageReference.LocalRegistry}/{r.LocalName}:{r.Tag}"
                + (inUse ? " (its files stay until the containers using it are gone)" : ""));
        }
        return code;
    }

    /// <summary>Docker's HumanSize: decimal units, three significant digits ("4.27MB", "812kB", "12B").</summary>
    internal static string HumanSize(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB", "PB"];
        double size = bytes;
        var i = 0;
        while (size >= 1000 && i < units.Length - 1)
        {
            size /= 1000;
            i++;
        }
        return size.ToString("G3", CultureInfo.InvariantCulture) + units[i];
    }

    /// <summary>Docker's HumanDuration ("Less than a second", "5 minutes", "About an hour", "3 days", ...).</summary>
    internal static string HumanDuration(TimeSpan d)
    {
        var s = (long)d.TotalSeconds;
        if (s < 1) return "Less than a second";
        if (s == 1) return "1 second";
        if (s < 60) return $"{s} seconds";
        var m = (long)d.TotalMinutes;
        if (m == 1) return "About a minute";
        if (m < 60) return $"{m} minutes";
        var h = (long)Math.Round(d.TotalHours);
        if (h == 1) return "About an hour";
        if (h < 48) return $"{h} hours";
        if (h < 24 * 7 * 2) return $"{h / 24} days";
        if (h < 24 * 30 * 2) return $"{h / 24 / 7} weeks";
        if (h < 24 * 365 * 2) return $"{h / 24 / 30} months";
        return $"{h / 24 / 365} years";
    }
}
