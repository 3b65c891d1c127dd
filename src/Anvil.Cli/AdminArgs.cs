namespace Anvil.Cli;

/// <summary>
/// Arguments of the Toolforge admin commands: positionals, repeated flags, boolean switches, and the connection
/// flags every one takes (<c>--kubeconfig</c>, <c>--data-dir</c>).
/// </summary>
internal sealed class AdminArgs
{
    public List<string> Positionals { get; } = [];
    public Dictionary<string, List<string>> Flags { get; } = [];
    public HashSet<string> Switches { get; } = [];
    public string? Kubeconfig { get; private set; }
    public string DataDir { get; private set; } = DataDirs.Default();

    /// <summary>Parses; <paramref name="valued"/> lists flags that take a value, <paramref name="switches"/> those that do not.
    /// Returns an error text or null. Everything after "--" is positional.</summary>
    public static (AdminArgs Args, string? Error) Parse(string[] args, string command, string[] valued, string[] switches)
    {
        var result = new AdminArgs();
        for (var i = 0; i < args.Length; i++)
        {
            var a = args[i];
            if (a == "--")
            {
                result.Positionals.AddRange(args[(i + 1)..]);
                break;
            }
            if (!a.StartsWith('-') || a == "-")
            {
                result.Positionals.Add(a);
                continue;
            }
            var name = a.Contains('=') ? a[..a.IndexOf('=')] : a;
            if (switches.Contains(name))
            {
                result.Switches.Add(name);
                continue;
            }
            if (!valued.Contains(name) && name is not ("--kubeconfig" or "--data-dir"))
                return (result, $"unknown flag \"{name}\" for \"{command}\"");
            var (flag, value) = UpCommand.SplitFlag(args, ref i);
            if (string.IsNullOrEmpty(value)) return (result, $"{flag} needs a value");
            switch (flag)
            {
                case "--kubeconfig": result.Kubeconfig = value; break;
                case "--data-dir": result.DataDir = Path.GetFullPath(value); break;
                default:
                    if (!result.Flags.TryGetValue(flag, out var list)) result.Flags[flag] = list = [];
                    list.Add(value);
                    break;
            }
        }
        return (result, null);
    }

    public string? Flag(string name) => Flags.TryGetValue(name, out var l) ? l[^1] : null;

    public IReadOnlyList<string> All(string name) => Flags.TryGetValue(name, out var l) ? l : [];

    public Anvil.Client.KubeClient Connect() => KubeconfigClient.Load(KubeconfigClient.Resolve(Kubeconfig, DataDir));
}
