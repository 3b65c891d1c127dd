using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.Node.Network;

/// <summary>The CNI network configurations the node uses: loopback, and a bridge conflist with host-local IPAM.</summary>
public static class CniConfig
{
    public const string Version = "1.0.0";

    public static JsonObject Loopback() => new() { ["cniVersion"] = Version, ["name"] = "lo", ["type"] = "loopback" };

    /// <summary>
    /// The pod network: a bridge that is the pods' gateway (and default route), with hairpin mode so a pod reaches
    /// itself through a Service; addresses from host-local. Traffic leaving the pod CIDR is masqueraded by the
    /// node's one rule (<see cref="MasqueradeScript"/>); <paramref name="ipMasq"/> asks the plugin for its chain per
    /// pod instead, as sandboxes made before that rule have (their DEL must remove it).
    /// </summary>
    public static JsonObject BridgeConflist(PodNetworkOptions options, string ipamDataDir, bool ipMasq = false) => new()
    {
        ["cniVersion"] = Version,
        ["name"] = options.NetworkName,
        ["plugins"] = new JsonArray(new JsonObject
        {
            ["type"] = "bridge",
            ["bridge"] = options.BridgeName,
            ["isGateway"] = true,
            ["isDefaultGateway"] = true,
            ["ipMasq"] = ipMasq,
            ["hairpinMode"] = true,
            ["ipam"] = new JsonObject
            {
                ["type"] = "host-local",
                ["ranges"] = new JsonArray(new JsonArray(new JsonObject { ["subnet"] = NormalizeCidr(options.PodCidr) })),
                ["dataDir"] = ipamDataDir,
            },
        }),
    };

    /// <summary>
    /// The chain that masquerades pod traffic leaving the pod CIDR (what the bridge plugin's ipMasq makes per pod:
    /// the pod CIDR and multicast stay unchanged). Once per node: per-pod chains cost several iptables runs on
    /// every pod start and stop, each serialised on the iptables lock. Named like CNI's chains; its rules carry
    /// the CNI-style comment with this node's prefix, so <see cref="NetworkCleanup"/> removes them.
    /// </summary>
    public static string MasqueradeChain(PodNetworkOptions options) => "CNI-" + Hash(options.Prefix + "/masquerade", 24);

    private static string MasqueradeComment(PodNetworkOptions options) => $"name: \"{options.NetworkName}\" id: \"{options.Prefix}-masquerade\"";

    /// <summary>iptables-restore --noflush input that (re)writes <see cref="MasqueradeChain"/>.</summary>
    public static string MasqueradeScript(PodNetworkOptions options)
    {
        var chain = MasqueradeChain(options);
        var comment = "\"" + MasqueradeComment(options).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
        return $"*nat\n:{chain} - [0:0]\n-F {chain}\n" +
            $"-A {chain} -d {NormalizeCidr(options.PodCidr)} -m comment --comment {comment} -j ACCEPT\n" +
            $"-A {chain} ! -d 224.0.0.0/4 -m comment --comment {comment} -j MASQUERADE\nCOMMIT\n";
    }

    /// <summary>The POSTROUTING rule (iptables arguments after the chain) that sends pod traffic to <see cref="MasqueradeChain"/>.</summary>
    public static string[] MasqueradeJump(PodNetworkOptions options) =>
        ["-s", NormalizeCidr(options.PodCidr), "-m", "comment", "--comment", MasqueradeComment(options), "-j", MasqueradeChain(options)];

    /// <summary>One plugin's stdin from a conflist entry: the list's name and version added, and the previous result.</summary>
    public static JsonObject PluginConfig(JsonObject conflist, JsonObject plugin, JsonObject? prevResult)
    {
        var c = (JsonObject)plugin.DeepClone();
        c["cniVersion"] = conflist["cniVersion"]?.DeepClone();
        c["name"] = conflist["name"]?.DeepClone();
        if (prevResult != null) c["prevResult"] = prevResult.DeepClone();
        return c;
    }

    /// <summary>The first IPv4 address of a CNI result (<c>ips[].address</c> is CIDR notation).</summary>
    public static string? FirstIPv4(JsonObject? result)
    {
        foreach (var ip in (result?["ips"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var a = (string?)ip["address"] ?? "";
            var slash = a.IndexOf('/');
            var text = slash < 0 ? a : a[..slash];
            if (IPAddress.TryParse(text, out var addr) && addr.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) return text;
        }
        return null;
    }

    /// <summary>"10.88.1.7/16" → "10.88.0.0/16"; throws FormatException for anything but an IPv4 CIDR.</summary>
    public static string NormalizeCidr(string cidr)
    {
        var (net, bits) = ParseCidr(cidr);
        return $"{net}/{bits}";
    }

    public static (IPAddress Network, int Bits) ParseCidr(string cidr)
    {
        var slash = cidr.IndexOf('/');
        if (slash < 0 || !IPAddress.TryParse(cidr[..slash], out var addr) || addr.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork
            || !int.TryParse(cidr[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bits) || bits is < 8 or > 30)
            throw new FormatException($"invalid pod CIDR \"{cidr}\": must be an IPv4 CIDR with a prefix length of 8-30 (e.g. {PodNetworkOptions.DefaultPodCidr})");
        var b = addr.GetAddressBytes();
        var v = (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
        var mask = bits == 0 ? 0u : uint.MaxValue << (32 - bits);
        v &= mask;
        return (new IPAddress([(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]), bits);
    }

    /// <summary>Whether <paramref name="ip"/> lies in <paramref name="cidr"/>.</summary>
    public static bool Contains(string cidr, string ip)
    {
        var (net, bits) = ParseCidr(cidr);
        if (!IPAddress.TryParse(ip, out var a) || a.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) return false;
        static uint U(IPAddress x) { var b = x.GetAddressBytes(); return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]); }
        var mask = uint.MaxValue << (32 - bits);
        return (U(a) & mask) == U(net);
    }

    /// <summary>Lower-case hex of SHA-256, cut to <paramref name="length"/> characters.</summary>
    public static string Hash(string s, int length) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(s)))[..length];
}
