using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.Node.Proxy;

/// <summary>
/// kube-proxy's iptables mode as pure functions: Services and EndpointSlices to <see cref="ServicePort"/>s, and
/// those to one <c>iptables-restore --noflush</c> script that rewrites every chain the proxy owns (filter and nat).
/// </summary>
public static class ProxyRules
{
    private const string ServiceNameLabel = "kubernetes.io/service-name";

    /// <summary>sessionAffinityConfig.clientIP.timeoutSeconds when unset (3 hours).</summary>
    public const int DefaultAffinitySeconds = 10800;

    /// <summary>
    /// The ports of Services with a ClusterIP, each with the endpoints the slices give for the port's name
    /// (slices carry the resolved target port per name). Ready endpoints only; ready unset counts as ready.
    /// <paramref name="nodeName"/> picks the local endpoints of internalTrafficPolicy Local Services.
    /// </summary>
    public static List<ServicePort> Collect(IEnumerable<JsonObject> services, IEnumerable<JsonObject> slices, string? nodeName = null)
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
            var spec = svc["spec"] as JsonObject;
            var clusterIP = (string?)spec?["clusterIP"] ?? "";
            if (clusterIP is "" or "None" || !System.Net.IPAddress.TryParse(clusterIP, out var ip) || ip.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork) continue;
            var type = (string?)spec?["type"] ?? "ClusterIP";
            if (type == "ExternalName") continue;
            int? affinity = (string?)spec?["sessionAffinity"] == "ClientIP"
                ? spec?["sessionAffinityConfig"]?["clientIP"]?["timeoutSeconds"] is JsonValue t && t.TryGetValue<int>(out var secs) && secs > 0 ? secs : DefaultAffinitySeconds
                : null;
            var local = (string?)spec?["internalTrafficPolicy"] == "Local";
            var mySlices = byService.GetValueOrDefault($"{ns}/{name}") ?? [];
            foreach (var sp in (spec?["ports"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var portName = (string?)sp["name"] ?? "";
                var protocol = (string?)sp["protocol"] ?? "TCP";
                if (protocol is not ("TCP" or "UDP")) continue;
                var endpoints = new SortedSet<(string IP, int Port)>();
                var onNode = new SortedSet<(string IP, int Port)>();
                foreach (var slice in mySlices)
                {
                    var port = (slice["ports"] as JsonArray ?? []).OfType<JsonObject>()
                        .FirstOrDefault(p => ((string?)p["name"] ?? "") == portName && ((string?)p["protocol"] ?? "TCP") == protocol);
                    if (port?["port"] is not JsonValue pv || !pv.TryGetValue<int>(out var target)) continue;
                    foreach (var ep in (slice["endpoints"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        if (ep["conditions"]?["ready"] is JsonValue r && r.TryGetValue<bool>(out var ready) && !ready) continue;
                        var here = nodeName != null && (string?)ep["nodeName"] == nodeName;
                        foreach (var a in (ep["addresses"] as JsonArray ?? []))
                            if ((string?)a is { Length: > 0 } addr)
                            {
                                endpoints.Add((addr, target));
                                if (here) onNode.Add((addr, target));
                            }
                    }
                }
                var nodePort = type is "NodePort" or "LoadBalancer" && sp["nodePort"] is JsonValue np && np.TryGetValue<int>(out var n) ? n : 0;
                list.Add(new ServicePort(ns, name, portName, clusterIP, (int?)sp["port"] ?? 0, protocol, [.. endpoints])
                {
                    NodePort = nodePort,
                    AffinitySeconds = affinity,
                    LocalEndpoints = local ? [.. onNode] : null,
                });
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

    /// <summary>The chain of the local endpoints only (internalTrafficPolicy Local; kube-proxy's KUBE-SVL-).</summary>
    public static string LocalServiceChain(ProxyOptions o, ServicePort p) => ChainName(o.ChainPrefix, "SVL", p.Key + "/" + p.Protocol);

    /// <summary>The chain node port traffic goes through (masquerade, then the service chain; kube-proxy's KUBE-EXT-).</summary>
    public static string ExternalChain(ProxyOptions o, ServicePort p) => ChainName(o.ChainPrefix, "EXT", p.Key + "/" + p.Protocol);

    public static string EndpointChain(ProxyOptions o, ServicePort p, (string IP, int Port) ep) =>
        ChainName(o.ChainPrefix, "SEP", $"{p.Key}/{p.Protocol}/{ep.IP}:{ep.Port}");

    /// <summary>
    /// The restore script, filter table then nat, as kube-proxy writes it. filter: a REJECT for each cluster IP
    /// port without endpoints (DROP when internalTrafficPolicy Local finds none on this node) and for each such node
    /// port, so clients get "connection refused" at once. nat: the top chain (jumped to from PREROUTING and OUTPUT),
    /// a chain per service port that picks an endpoint with <c>statistic --mode random</c> (probability 1/n,
    /// 1/(n-1), …; with ClientIP affinity first the endpoint a client had, through <c>recent</c>), a DNAT chain per
    /// endpoint, node ports for local destinations except 127.0.0.0/8 (kube-proxy with
    /// --iptables-localhost-nodeports=false: no route_localnet), masquerade of traffic from outside the pod CIDR, of
    /// node port traffic and of a pod reaching itself (hairpin), and deletion of <paramref name="existingChains"/>
    /// (nat) of ours that are no longer needed.
    /// </summary>
    public static string Render(ProxyOptions o, IReadOnlyList<ServicePort> ports, IEnumerable<string> existingChains)
    {
        var chains = new List<string> { o.ServicesChain, o.NodePortsChain, o.PostroutingChain, o.MarkMasqChain };
        var filter = new StringBuilder();
        var rules = new StringBuilder();
        rules.Append($"-A {o.MarkMasqChain} -j MARK --or-mark {o.MasqueradeMark}\n");
        rules.Append($"-A {o.PostroutingChain} -m mark ! --mark {o.MasqueradeMark}/{o.MasqueradeMark} -j RETURN\n");
        // The mark would otherwise stay on the packet for later rules and re-encapsulation.
        rules.Append($"-A {o.PostroutingChain} -j MARK --xor-mark {o.MasqueradeMark}\n");
        rules.Append($"-A {o.PostroutingChain} -m comment --comment \"anvil service traffic requiring SNAT\" -j MASQUERADE\n");
        foreach (var p in ports)
        {
            var proto = p.Protocol.ToLowerInvariant();
            var svcChain = ServiceChain(o, p);
            var internalEndpoints = p.LocalEndpoints ?? p.Endpoints;
            var internalChain = p.LocalEndpoints != null ? LocalServiceChain(o, p) : svcChain;
            var match = $"-p {proto} -m {proto} -d {p.ClusterIP}/32 --dport {Num(p.Port)}";
            if (internalEndpoints.Count == 0)
            {
                var (why, target) = p.Endpoints.Count == 0 ? ("has no endpoints", "REJECT") : ("has no local endpoints", "DROP");
                filter.Append($"-A {o.ServicesChain} -m comment --comment \"{p.Key} {why}\" {match} -j {target}\n");
            }
            else
            {
                rules.Append($"-A {o.ServicesChain} -m comment --comment \"{p.Key} cluster IP\" {match} -j {internalChain}\n");
                rules.Append($"-A {internalChain} -m comment --comment \"{p.Key} cluster IP\" {match} ! -s {o.PodCidr} -j {o.MarkMasqChain}\n");
            }
            var external = p.NodePort != 0 && p.Endpoints.Count > 0;
            if (p.NodePort != 0)
            {
                var nodePortMatch = $"-p {proto} -m {proto} --dport {Num(p.NodePort)}";
                if (!external)
                {
                    filter.Append($"-A {o.ExternalServicesChain} -m comment --comment \"{p.Key} has no endpoints\" -m addrtype --dst-type LOCAL {nodePortMatch} -j REJECT\n");
                }
                else
                {
                    var extChain = ExternalChain(o, p);
                    chains.Add(extChain);
                    rules.Append($"-A {o.NodePortsChain} -m comment --comment \"{p.Key}\" {nodePortMatch} -j {extChain}\n");
                    rules.Append($"-A {extChain} -m comment --comment \"masquerade traffic for {p.Key} external destinations\" -j {o.MarkMasqChain}\n");
                    rules.Append($"-A {extChain} -j {svcChain}\n");
                }
            }
            if (p.LocalEndpoints is { Count: > 0 } local) Balance(o, p, internalChain, local, chains, rules);
            var all = p.LocalEndpoints == null && p.Endpoints.Count > 0 || external;
            if (all) Balance(o, p, svcChain, p.Endpoints, chains, rules);
            foreach (var ep in all ? p.Endpoints : internalEndpoints)
            {
                var sepChain = EndpointChain(o, p, ep);
                chains.Add(sepChain);
                var remember = p.AffinitySeconds != null ? $" -m recent --name {sepChain} --set" : "";
                rules.Append($"-A {sepChain} -m comment --comment \"{p.Key}\" -s {ep.IP}/32 -j {o.MarkMasqChain}\n");
                rules.Append($"-A {sepChain} -m comment --comment \"{p.Key}\" -p {proto}{remember} -m {proto} -j DNAT --to-destination {ep.IP}:{Num(ep.Port)}\n");
            }
        }
        // Last in the portals: anything else to a local address may be a node port.
        rules.Append($"-A {o.ServicesChain} -m comment --comment \"anvil service nodeports; NOTE: this must be the last rule in this chain\" "
            + $"-m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j {o.NodePortsChain}\n");
        var keep = chains.ToHashSet();
        var stale = existingChains.Where(c => c.StartsWith(o.ChainPrefix, StringComparison.Ordinal) && !keep.Contains(c)).Distinct().OrderBy(c => c, StringComparer.Ordinal).ToList();
        var sb = new StringBuilder("*filter\n");
        sb.Append(':').Append(o.ServicesChain).Append(" - [0:0]\n");
        sb.Append(':').Append(o.ExternalServicesChain).Append(" - [0:0]\n");
        sb.Append(filter).Append("COMMIT\n*nat\n");
        foreach (var c in chains.Concat(stale)) sb.Append(':').Append(c).Append(" - [0:0]\n");
        sb.Append(rules);
        foreach (var c in stale) sb.Append("-X ").Append(c).Append('\n');
        sb.Append("COMMIT\n");
        return sb.ToString();
    }

    /// <summary>A service chain's picks: the endpoint a client had (ClientIP affinity), else one at random.</summary>
    private static void Balance(ProxyOptions o, ServicePort p, string chain, IReadOnlyList<(string IP, int Port)> endpoints, List<string> chains, StringBuilder rules)
    {
        chains.Add(chain);
        if (p.AffinitySeconds is { } seconds)
            foreach (var ep in endpoints)
            {
                var sep = EndpointChain(o, p, ep);
                rules.Append($"-A {chain} -m comment --comment \"{p.Key} -> {ep.IP}:{Num(ep.Port)}\" -m recent --name {sep} --rcheck --seconds {Num(seconds)} --reap -j {sep}\n");
            }
        for (var i = 0; i < endpoints.Count; i++)
        {
            var ep = endpoints[i];
            var left = endpoints.Count - i;
            var pick = left > 1 ? $" -m statistic --mode random --probability {(1.0 / left).ToString("0.0000000000", CultureInfo.InvariantCulture)}" : "";
            rules.Append($"-A {chain} -m comment --comment \"{p.Key} -> {ep.IP}:{Num(ep.Port)}\"{pick} -j {EndpointChain(o, p, ep)}\n");
        }
    }

    private static string Num(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Chain names in an <c>iptables-save</c> listing.</summary>
    public static IEnumerable<string> Chains(string iptablesSave) =>
        iptablesSave.Split('\n').Where(l => l.StartsWith(':')).Select(l => l[1..].Split(' ')[0]);
}
