using System.Text;
using Anvil.Node.Runtime;

namespace Anvil.Node.Network;

/// <summary>
/// Removes what a node with a given <see cref="PodNetworkOptions.Prefix"/> (and proxy chain prefix) made on the
/// host: its network namespaces, its bridge, the CNI masquerade rules of its sandboxes and the proxy's nat chains
/// with the jumps to them. For tests and for tearing a node down; pods must be stopped first.
/// </summary>
public static class NetworkCleanup
{
    public static async Task RemoveAsync(PodNetworkOptions? options, string? chainPrefix, CancellationToken ct = default)
    {
        if (options != null && Directory.Exists("/run/netns"))
            foreach (var ns in Directory.GetFiles("/run/netns").Select(Path.GetFileName).OfType<string>())
                if (ns.StartsWith(options.Prefix + "-", StringComparison.Ordinal))
                    await HostCommand.RunAsync("ip", ["netns", "delete", ns], ct).ConfigureAwait(false);
        if (options != null && Directory.Exists("/sys/class/net/" + options.BridgeName))
            await HostCommand.RunAsync("ip", ["link", "delete", options.BridgeName], ct).ConfigureAwait(false);
        var (code, saved, _) = await HostCommand.RunAsync("iptables-save", ["-t", "nat"], ct).ConfigureAwait(false);
        if (code != 0) return;
        var script = RemovalScript(saved, options == null ? null : $"id: \\\"{options.Prefix}-", chainPrefix);
        if (script != null) await Iptables.RestoreAsync(script, ct).ConfigureAwait(false);
        // The proxy's rejects for services without endpoints live in the filter table.
        if (chainPrefix is not { Length: > 0 }) return;
        (code, saved, _) = await HostCommand.RunAsync("iptables-save", ["-t", "filter"], ct).ConfigureAwait(false);
        if (code == 0 && RemovalScript(saved, null, chainPrefix, "filter") is { } filter) await Iptables.RestoreAsync(filter, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// An iptables-restore script that deletes rules of <paramref name="table"/> carrying <paramref name="commentMark"/>
    /// or jumping to a chain named with <paramref name="chainPrefix"/>, and removes those chains; null when there is nothing.
    /// </summary>
    public static string? RemovalScript(string iptablesSave, string? commentMark, string? chainPrefix, string table = "nat")
    {
        var chains = new List<string>();
        var rules = new List<(string Chain, string Line)>();
        foreach (var line in iptablesSave.Split('\n'))
        {
            // User chains only (":NAME - [0:0]"); built-in ones have a policy and are never removed.
            if (line.StartsWith(':') && line.Split(' ') is [var name, "-", ..]) chains.Add(name[1..]);
            else if (line.StartsWith("-A ", StringComparison.Ordinal)) rules.Add((line.Split(' ')[1], line));
        }
        bool Ours(string chain) => chainPrefix is { Length: > 0 } && chain.StartsWith(chainPrefix, StringComparison.Ordinal);
        // CNI's masquerade chains are named by hash; they are ours when a rule in them carries our mark.
        var remove = chains.Where(c => Ours(c) || commentMark != null && rules.Any(r => r.Chain == c && r.Line.Contains(commentMark, StringComparison.Ordinal))).ToHashSet();
        var sb = new StringBuilder("*").Append(table).Append('\n');
        var any = false;
        foreach (var (chain, line) in rules)
        {
            if (remove.Contains(chain)) continue;
            var target = TargetOf(line);
            if (commentMark != null && line.Contains(commentMark, StringComparison.Ordinal) || target != null && remove.Contains(target))
            {
                sb.Append("-D").Append(line[2..]).Append('\n');
                any = true;
            }
        }
        foreach (var c in remove) sb.Append(':').Append(c).Append(" - [0:0]\n");
        foreach (var c in remove) sb.Append("-X ").Append(c).Append('\n');
        any |= remove.Count > 0;
        sb.Append("COMMIT\n");
        return any ? sb.ToString() : null;
    }

    private static string? TargetOf(string line)
    {
        var i = line.IndexOf(" -j ", StringComparison.Ordinal);
        if (i < 0) return null;
        var rest = line[(i + 4)..];
        var sp = rest.IndexOf(' ');
        return sp < 0 ? rest : rest[..sp];
    }
}
