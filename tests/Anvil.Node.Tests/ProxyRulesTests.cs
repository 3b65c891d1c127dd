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
            *nat
            :T-SERVICES - [0:0]
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
            -A {sep[0]} -m comment --comment "ns/web:http" -s 10.88.0.2/32 -j T-MARK-MASQ
            -A {sep[0]} -m comment --comment "ns/web:http" -p tcp -m tcp -j DNAT --to-destination 10.88.0.2:8080
            -A {svc} -m comment --comment "ns/web:http -> 10.88.0.3:8080" -m statistic --mode random --probability 0.5000000000 -j {sep[1]}
            -A {sep[1]} -m comment --comment "ns/web:http" -s 10.88.0.3/32 -j T-MARK-MASQ
            -A {sep[1]} -m comment --comment "ns/web:http" -p tcp -m tcp -j DNAT --to-destination 10.88.0.3:8080
            -A {svc} -m comment --comment "ns/web:http -> 10.88.0.4:8080" -j {sep[2]}
            -A {sep[2]} -m comment --comment "ns/web:http" -s 10.88.0.4/32 -j T-MARK-MASQ
            -A {sep[2]} -m comment --comment "ns/web:http" -p tcp -m tcp -j DNAT --to-destination 10.88.0.4:8080
            -X T-SVC-OLD
            COMMIT

            """.ReplaceLineEndings("\n"), script);
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
