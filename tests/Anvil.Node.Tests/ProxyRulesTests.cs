using System.Text.Json.Nodes;
using Anvil.Node.Proxy;

namespace Anvil.Node.Tests;

public sealed class ProxyRulesTests
{
    private static readonly ProxyOptions Options = new() { ChainPrefix = "T-", PodCidr = "10.88.0.0/16" };

    private static JsonObject Svc(string name, string clusterIP, string ports) => JsonNode.Parse($$$"""
        {"metadata":{"namespace":"ns","name":"{{{name}}}"},"spec":{"clusterIP":"{{{clusterIP}}}","ports":{{{ports}}}}}
        """)!.AsObject();

    private static JsonObject Slice(string service, string ports, string endpoints, string addressType = "IPv4") => JsonNode.Parse($$$"""
        {"metadata":{"namespace":"ns","name":"{{{service}}}-x","labels":{"kubernetes.io/service-name":"{{{service}}}"}},
         "addressType":"{{{addressType}}}","ports":{{{ports}}},"endpoints":{{{endpoints}}}}
        """)!.AsObject();

    [Fact]
    public void CollectResolvesNamedPortsThroughTheSliceAndKeepsReadyEndpoints()
    {
        var ports = ProxyRules.Collect(
            [
                Svc("web", "10.96.0.10", """[{"name":"http","port":80,"targetPort":"web","protocol":"TCP"},{"name":"dns","port":53,"protocol":"UDP"}]"""),
                Svc("headless", "None", """[{"port":80}]"""),
            ],
            [
                Slice("web", """[{"name":"http","port":8080,"protocol":"TCP"},{"name":"dns","port":5353,"protocol":"UDP"}]""",
                    """[{"addresses":["10.88.0.3"],"conditions":{"ready":true}},{"addresses":["10.88.0.2"]},{"addresses":["10.88.0.4"],"conditions":{"ready":false}}]"""),
                Slice("web", """[{"name":"http","port":8080,"protocol":"TCP"}]""", """[{"addresses":["fd00::1"]}]""", "IPv6"),
                Slice("headless", """[{"name":"","port":80,"protocol":"TCP"}]""", """[{"addresses":["10.88.0.9"]}]"""),
            ]);
        Assert.Equal(
            [
                "ns/web:dns UDP 10.96.0.10:53 -> 10.88.0.2:5353,10.88.0.3:5353",
                "ns/web:http TCP 10.96.0.10:80 -> 10.88.0.2:8080,10.88.0.3:8080",
            ],
            ports.Select(p => $"{p.Key} {p.Protocol} {p.ClusterIP}:{p.Port} -> {string.Join(",", p.Endpoints.Select(e => $"{e.IP}:{e.Port}"))}").ToList());
    }

    [Fact]
    public void RenderSpreadsOverEndpointsWithDecreasingProbabilityAndRemovesStaleChains()
    {
        var port = new ServicePort("ns", "web", "http", "10.96.0.10", 80, "TCP", [("10.88.0.2", 8080), ("10.88.0.3", 8080), ("10.88.0.4", 8080)]);
        var empty = new ServicePort("ns", "idle", "", "10.96.0.11", 80, "TCP", []);
        var svc = ProxyRules.ServiceChain(Options, port);
        var sep = port.Endpoints.Select(e => ProxyRules.EndpointChain(Options, port, e)).ToList();
        var script = ProxyRules.Render(Options, [port, empty], ["T-SERVICES", "T-SVC-OLD", "KUBE-SERVICES", "POSTROUTING", svc]);
        Assert.Equal($"""
            *filter
            :T-SERVICES - [0:0]
            :T-EXT-SERVICES - [0:0]
            -A T-SERVICES -m comment --comment "ns/idle: has no endpoints" -p tcp -m tcp -d 10.96.0.11/32 --dport 80 -j REJECT
            COMMIT
            *nat
            :T-SERVICES - [0:0]
            :T-NODEPORTS - [0:0]
            :T-POSTROUTING - [0:0]
            :T-MARK-MASQ - [0:0]
            :{svc} - [0:0]
            :{sep[0]} - [0:0]
            :{sep[1]} - [0:0]
            :{sep[2]} - [0:0]
            :T-SVC-OLD - [0:0]
            -A T-MARK-MASQ -j MARK --or-mark 0x4000
            -A T-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
            -A T-POSTROUTING -j MARK --xor-mark 0x4000
            -A T-POSTROUTING -m comment --comment "anvil service traffic requiring SNAT" -j MASQUERADE
            -A T-SERVICES -m comment --comment "ns/web:http cluster IP" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 -j {svc}
            -A {svc} -m comment --comment "ns/web:http cluster IP" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 ! -s 10.88.0.0/16 -j T-MARK-MASQ
            -A {svc} -m comment --comment "ns/web:http -> 10.88.0.2:8080" -m statistic --mode random --probability 0.3333333333 -j {sep[0]}
            -A {svc} -m comment --comment "ns/web:http -> 10.88.0.3:8080" -m statistic --mode random --probability 0.5000000000 -j {sep[1]}
            -A {svc} -m comment --comment "ns/web:http -> 10.88.0.4:8080" -j {sep[2]}
            -A {sep[0]} -m comment --comment "ns/web:http" -s 10.88.0.2/32 -j T-MARK-MASQ
            -A {sep[0]} -m comment --comment "ns/web:http" -p tcp -m tcp -j DNAT --to-destination 10.88.0.2:8080
            -A {sep[1]} -m comment --comment "ns/web:http" -s 10.88.0.3/32 -j T-MARK-MASQ
            -A {sep[1]} -m comment --comment "ns/web:http" -p tcp -m tcp -j DNAT --to-destination 10.88.0.3:8080
            -A {sep[2]} -m comment --comment "ns/web:http" -s 10.88.0.4/32 -j T-MARK-MASQ
            -A {sep[2]} -m comment --comment "ns/web:http" -p tcp -m tcp -j DNAT --to-destination 10.88.0.4:8080
            -A T-SERVICES -m comment --comment "anvil service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j T-NODEPORTS
            -X T-SVC-OLD
            COMMIT

            """.ReplaceLineEndings("\n"), script);
    }

    /// <summary>The nat rules of one service port, without the fixed chains and rules every script has.</summary>
    private static string NatRulesOf(string script) => string.Join("\n", script[script.IndexOf("*nat\n", StringComparison.Ordinal)..].Split('\n')
        .Where(l => l.StartsWith("-A ", StringComparison.Ordinal) && !l.StartsWith("-A T-MARK-MASQ ", StringComparison.Ordinal)
            && !l.StartsWith("-A T-POSTROUTING ", StringComparison.Ordinal) && !l.Contains("NOTE: this must be the last rule", StringComparison.Ordinal)));

    private static string FilterRulesOf(string script) =>
        string.Join("\n", script[..script.IndexOf("*nat\n", StringComparison.Ordinal)].Split('\n').Where(l => l.StartsWith("-A ", StringComparison.Ordinal)));

    [Fact]
    public void NodePortWithClientIPAffinityGoesThroughTheExternalChainAndRemembersTheEndpoint()
    {
        var port = new ServicePort("ns", "web", "", "10.96.0.10", 80, "TCP", [("10.88.0.2", 8080), ("10.88.0.3", 8080)]) { NodePort = 30080, AffinitySeconds = 600 };
        var svc = ProxyRules.ServiceChain(Options, port);
        var ext = ProxyRules.ExternalChain(Options, port);
        var sep = port.Endpoints.Select(e => ProxyRules.EndpointChain(Options, port, e)).ToList();
        var script = ProxyRules.Render(Options, [port], []);
        Assert.Equal("", FilterRulesOf(script));
        Assert.Equal($"""
            -A T-SERVICES -m comment --comment "ns/web: cluster IP" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 -j {svc}
            -A {svc} -m comment --comment "ns/web: cluster IP" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 ! -s 10.88.0.0/16 -j T-MARK-MASQ
            -A T-NODEPORTS -m comment --comment "ns/web:" -p tcp -m tcp --dport 30080 -j {ext}
            -A {ext} -m comment --comment "masquerade traffic for ns/web: external destinations" -j T-MARK-MASQ
            -A {ext} -j {svc}
            -A {svc} -m comment --comment "ns/web: -> 10.88.0.2:8080" -m recent --name {sep[0]} --rcheck --seconds 600 --reap -j {sep[0]}
            -A {svc} -m comment --comment "ns/web: -> 10.88.0.3:8080" -m recent --name {sep[1]} --rcheck --seconds 600 --reap -j {sep[1]}
            -A {svc} -m comment --comment "ns/web: -> 10.88.0.2:8080" -m statistic --mode random --probability 0.5000000000 -j {sep[0]}
            -A {svc} -m comment --comment "ns/web: -> 10.88.0.3:8080" -j {sep[1]}
            -A {sep[0]} -m comment --comment "ns/web:" -s 10.88.0.2/32 -j T-MARK-MASQ
            -A {sep[0]} -m comment --comment "ns/web:" -p tcp -m recent --name {sep[0]} --set -m tcp -j DNAT --to-destination 10.88.0.2:8080
            -A {sep[1]} -m comment --comment "ns/web:" -s 10.88.0.3/32 -j T-MARK-MASQ
            -A {sep[1]} -m comment --comment "ns/web:" -p tcp -m recent --name {sep[1]} --set -m tcp -j DNAT --to-destination 10.88.0.3:8080
            """.ReplaceLineEndings("\n"), NatRulesOf(script));
        Assert.Contains($":{ext} - [0:0]\n", script);
    }

    [Fact]
    public void NodePortWithoutEndpointsIsRejectedForLocalDestinationsOnly()
    {
        var port = new ServicePort("ns", "idle", "dns", "10.96.0.11", 53, "UDP", []) { NodePort = 31053 };
        var script = ProxyRules.Render(Options, [port], []);
        Assert.Equal("""
            -A T-SERVICES -m comment --comment "ns/idle:dns has no endpoints" -p udp -m udp -d 10.96.0.11/32 --dport 53 -j REJECT
            -A T-EXT-SERVICES -m comment --comment "ns/idle:dns has no endpoints" -m addrtype --dst-type LOCAL -p udp -m udp --dport 31053 -j REJECT
            """.ReplaceLineEndings("\n"), FilterRulesOf(script));
        Assert.Equal("", NatRulesOf(script));
    }

    [Fact]
    public void InternalTrafficPolicyLocalUsesTheLocalEndpointsAndDropsWhenThereAreNone()
    {
        var local = new ServicePort("ns", "web", "", "10.96.0.10", 80, "TCP", [("10.88.0.2", 8080), ("10.88.0.3", 8080)]) { LocalEndpoints = [("10.88.0.3", 8080)] };
        var svl = ProxyRules.LocalServiceChain(Options, local);
        var sep = ProxyRules.EndpointChain(Options, local, ("10.88.0.3", 8080));
        var script = ProxyRules.Render(Options, [local], []);
        Assert.Equal($"""
            -A T-SERVICES -m comment --comment "ns/web: cluster IP" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 -j {svl}
            -A {svl} -m comment --comment "ns/web: cluster IP" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 ! -s 10.88.0.0/16 -j T-MARK-MASQ
            -A {svl} -m comment --comment "ns/web: -> 10.88.0.3:8080" -j {sep}
            -A {sep} -m comment --comment "ns/web:" -s 10.88.0.3/32 -j T-MARK-MASQ
            -A {sep} -m comment --comment "ns/web:" -p tcp -m tcp -j DNAT --to-destination 10.88.0.3:8080
            """.ReplaceLineEndings("\n"), NatRulesOf(script));
        Assert.DoesNotContain(ProxyRules.ServiceChain(Options, local), script);

        var elsewhere = local with { LocalEndpoints = [] };
        script = ProxyRules.Render(Options, [elsewhere], []);
        Assert.Equal("""
            -A T-SERVICES -m comment --comment "ns/web: has no local endpoints" -p tcp -m tcp -d 10.96.0.10/32 --dport 80 -j DROP
            """.ReplaceLineEndings("\n"), FilterRulesOf(script));
        Assert.Equal("", NatRulesOf(script));
    }

    [Fact]
    public void CollectReadsNodePortsAffinityAndLocalEndpoints()
    {
        var ports = ProxyRules.Collect(
            [
                JsonNode.Parse("""
                    {"metadata":{"namespace":"ns","name":"np"},"spec":{"type":"NodePort","clusterIP":"10.96.0.10","sessionAffinity":"ClientIP",
                     "ports":[{"port":80,"nodePort":30080,"protocol":"TCP"}]}}
                    """)!.AsObject(),
                JsonNode.Parse("""
                    {"metadata":{"namespace":"ns","name":"local"},"spec":{"type":"ClusterIP","clusterIP":"10.96.0.11","internalTrafficPolicy":"Local",
                     "sessionAffinity":"ClientIP","sessionAffinityConfig":{"clientIP":{"timeoutSeconds":60}},"ports":[{"port":80,"nodePort":30081,"protocol":"TCP"}]}}
                    """)!.AsObject(),
            ],
            [
                Slice("local", """[{"name":"","port":8080,"protocol":"TCP"}]""",
                    """[{"addresses":["10.88.0.2"],"nodeName":"here"},{"addresses":["10.88.0.3"],"nodeName":"there"},{"addresses":["10.88.0.4"]}]"""),
            ], "here");
        Assert.Equal(
            [
                "ns/local: nodePort=0 affinity=60 local=10.88.0.2:8080 all=10.88.0.2:8080,10.88.0.3:8080,10.88.0.4:8080",
                "ns/np: nodePort=30080 affinity=10800 local=- all=",
            ],
            ports.Select(p => $"{p.Key} nodePort={p.NodePort} affinity={p.AffinitySeconds} local={(p.LocalEndpoints == null ? "-" : string.Join(",", p.LocalEndpoints.Select(e => $"{e.IP}:{e.Port}")))} "
                + $"all={string.Join(",", p.Endpoints.Select(e => $"{e.IP}:{e.Port}"))}").ToList());
    }

    [Theory]
    [InlineData("ANVIL-", "SVC", 26)]
    [InlineData("ANVT1A2B3C4D-", "SEP", 28)]
    [InlineData("AVERYLONGPREFIXOFTWENTY-", "SVC", 34)]
    public void ChainNamesFitIptables(string prefix, string kind, int length)
    {
        var name = ProxyRules.ChainName(prefix, kind, "ns/web:http/TCP");
        Assert.StartsWith(prefix + kind + "-", name);
        Assert.Equal(length, name.Length);
        Assert.Equal(name, ProxyRules.ChainName(prefix, kind, "ns/web:http/TCP"));
        Assert.NotEqual(name, ProxyRules.ChainName(prefix, kind, "ns/web:http/UDP"));
    }
}
