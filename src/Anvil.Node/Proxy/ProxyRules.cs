using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.Node.Proxy;

/// <summary>
/// kube-proxy's iptables mode as pure functions: Services and EndpointSlices to <see cref="ServicePort"/>s, and
/// those to one <c>iptables-restore --noflush</c> script that rewrites every chain the proxy owns in the nat table.
/// </summary>
public static class ProxyRules
{
    private const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>
    /// The ports of Services with a ClusterIP, each with the endpoints the slices give for the port's name
    /// (slices carry the resolved target port per name). Ready endpoints only; ready unset counts as ready.
    /// </summary>
    public static List<ServicePort> Collect(IEnumerable<JsonObject> services, IEnumerable<JsonObject> slices)
    {
        var byService = slices
            .Where(s => (string?)s["addressType"] == "IPv4" && (string?)s["metadata"]?["labels"]?[ServiceNameLabel] is { Length: > 0 })
            .GroupBy(s => $"{(string?)s["metadata"]?["namespace"]}/{(string?)s["metadata"]?["labels"]?[ServiceNameLabel]}")
            .ToDictionary(g => g.Key, g => g.ToList());
        var list = new List<ServicePort>();
        foreach (var svc in services)
        {
            var ns = (string?)svc["metadata"]?["namespace"] ?? "";
            var name = (string?)svc["metadata"]?["name"] ?? "";
            var clusterIP = (string?)svc["spec"]?["clusterIP"] ?? "";
            if (clusterIP is "" or "None" || !System.Net.IPAddress.TryParse(clusterIP, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) continue;
            if ((string?)svc["spec"]?["type"] == "ExternalName") continue;
            var mySlices = byService.GetValueOrDefault($"{ns}/{name}") ?? [];
            foreach (var sp in (svc["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var portName = (string?)sp["name"] ?? "";
                var protocol = (string?)sp["protocol"] ?? "TCP";
                if (protocol is not ("TCP" or "UDP")) continue;
                var endpoints = new SortedSet<(string IP, int Port)>();
                foreach (var slice in mySlices)
                {
                    var port = (slice["ports"] as JsonArray ?? []).OfType<JsonObject>()
                        .FirstOrDefault(p => ((string?)p["name"] ?? "") == portName && ((string?)p["protocol"] ?? "TCP") == protocol);
                    if (port?["port"] is not JsonValue pv || !pv.TryGetValue<int>(out var target)) continue;
                    foreach (var ep in (slice["endpoints"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        if (ep["conditions"]?["ready"] is JsonValue r && r.TryGetValue<bool>(out var ready) && !ready) continue;
                        foreach (var a in (ep["addresses"] as JsonArray ?? []))
                            if ((string?)a is { Length: > 0 } addr) endpoints.Add((addr, target));
                    }
                }
                list.Add(new ServicePort(ns, name, portName, clusterIP, (int?)sp["port"] ?? 0, protocol, [.. endpoints]));
            }
        }
        return list.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Protocol, StringComparer.Ordinal).ToList();
    }

    /// <summary>A chain name: prefix, kind (SVC/SEP), a hash of what it stands for, within iptables' 28 characters.</summary>
    public static string ChainName(string prefix, string kind, string what)
    {
        var room = Math.Clamp(28 - prefix.Length - kind.Length - 1, 6, 16);
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(what))).Replace("+", "", StringComparison.Ordinal)
            .Replace("/", "", StringComparison.Ordinal).ToUpperInvariant();
        return $"{prefix}{kind}-{hash[..room]}";
    }

    public static string ServiceChain(ProxyOptions o, ServicePort p) => ChainName(o.ChainPrefix, "SVC", p.Key + "/" + p.Protocol);

    public static string EndpointChain(ProxyOptions o, ServicePort p, (string IP, int Port) ep) =>
        ChainName(o.ChainPrefix, "SEP", $"{p.Key}/{p.Protocol}/{ep.IP}:{ep.Port}");

    /// <summary>
    /// The restore script: the top chain (jumped to from PREROUTING and OUTPUT), a chain per service port that
    /// picks an endpoint with <c>statistic --mode random</c> (probability 1/n, 1/(n-1), …), a DNAT chain per
    /// endpoint, masquerade of traffic from outside the pod CIDR and of a pod reaching itself (hairpin), and
    /// deletion of <paramref name="existingChains"/> of ours that are no longer needed.
    /// </summary>
    public static string Render(ProxyOptions o, IReadOnlyList<ServicePort> ports, IEnumerable<string> existingChains)
    {
        var chains = new List<string> { o.ServicesChain, o.PostroutingChain, o.MarkMasqChain };
        var rules = new StringBuilder();
        rules.Append($"-A {o.MarkMasqChain} -j MARK --or-mark {o.MasqueradeMark}\n");
        rules.Append($"-A {o.PostroutingChain} -m mark ! --mark {o.MasqueradeMark}/{o.MasqueradeMark} -j RETURN\n");
        // The mark would otherwise stay on the packet for later rules and re-encapsulation.
        rules.Append($"-A {o.PostroutingChain} -j MARK --xor-mark {o.MasqueradeMark}\n");
        rules.Append($"-A {o.PostroutingChain} -m comment --comment \"anvil service traffic requiring SNAT\" -j MASQUERADE\n");
        foreach (var p in ports)
        {
            if (p.Endpoints.Count == 0) continue;
            var proto = p.Protocol.ToLowerInvariant();
            var svcChain = ServiceChain(o, p);
            chains.Add(svcChain);
            var match = $"-p {proto} -m {proto} -d {p.ClusterIP}/32 --dport {p.Port.ToString(CultureInfo.InvariantCulture)}";
            rules.Append($"-A {o.ServicesChain} -m comment --comment \"{p.Key} cluster IP\" {match} -j {svcChain}\n");
            rules.Append($"-A {svcChain} -m comment --comment \"{p.Key} cluster IP\" {match} ! -s {o.PodCidr} -j {o.MarkMasqChain}\n");
            for (var i = 0; i < p.Endpoints.Count; i++)
            {
                var ep = p.Endpoints[i];
                var sepChain = EndpointChain(o, p, ep);
                chains.Add(sepChain);
                var left = p.Endpoints.Count - i;
                var pick = left > 1 ? $" -m statistic --mode random --probability {(1.0 / left).ToString("0.0000000000", CultureInfo.InvariantCulture)}" : "";
                rules.Append($"-A {svcChain} -m comment --comment \"{p.Key} -> {ep.IP}:{ep.Port}\"{pick} -j {sepChain}\n");
                rules.Append($"-A {sepChain} -m comment --comment \"{p.Key}\" -s {ep.IP}/32 -j {o.MarkMasqChain}\n");
                rules.Append($"-A {sepChain} -m comment --comment \"{p.Key}\" -p {proto} -m {proto} -j DNAT --to-destination {ep.IP}:{ep.Port}\n");
            }
        }
        var keep = chains.ToHashSet();
        var stale = existingChains.Where(c => c.StartsWith(o.ChainPrefix, StringComparison.Ordinal) && !keep.Contains(c)).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder("*nat\n");
        foreach (var c in chains.Concat(stale)) sb.Append(':').Append(c).Append(" - [0:0]\n");
        sb.Append(rules);
        foreach (var c in stale) sb.Append("-X ").Append(c).Append('\n');
        sb.Append("COMMIT\n");
        return sb.ToString();
    }

    /// <summary>Chain names in an <c>iptables-save</c> listing.</summary>
    public static IEnumerable<string> Chains(string iptablesSave) =>
        iptablesSave.Split('\n').Where(l => l.StartsWith(':')).Select(l => l[1..].Split(' ')[0]);
}
