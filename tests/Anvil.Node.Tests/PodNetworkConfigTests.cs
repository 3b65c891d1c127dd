using Anvil.Node.Network;

namespace Anvil.Node.Tests;

public sealed class PodNetworkConfigTests
{
    [Fact]
    public void BridgeConflistIsTheGatewayWithHairpinAndHostLocal()
    {
        var json = CniConfig.BridgeConflist(new PodNetworkOptions { PodCidr = "10.88.3.9/16" }, "/data/cni/networks").ToJsonString();
        Assert.Equal("""
            {"cniVersion":"1.0.0","name":"anvil","plugins":[{"type":"bridge","bridge":"anvil0","isGateway":true,"isDefaultGateway":true,"ipMasq":false,"hairpinMode":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.88.0.0/16"}]],"dataDir":"/data/cni/networks"}}]}
            """.Trim(), json);
    }

    [Theory]
    [InlineData(false, "\"ipMasq\":false")]
    [InlineData(true, "\"ipMasq\":true")]
    public void BridgeConflistMasqueradesPerPodOnlyWhenAsked(bool ipMasq, string expected) =>
        Assert.Contains(expected, CniConfig.BridgeConflist(new PodNetworkOptions(), "/d", ipMasq).ToJsonString());

    [Fact]
    public void NodeMasqueradeChainKeepsPodAndMulticastTrafficAndCarriesTheCniComment()
    {
        var options = new PodNetworkOptions { Prefix = "anvt1", PodCidr = "10.201.3.4/16" };
        var chain = CniConfig.MasqueradeChain(options);
        Assert.Matches("^CNI-[0-9a-f]{24}$", chain);
        Assert.NotEqual(chain, CniConfig.MasqueradeChain(options with { Prefix = "anvt2" }));
        Assert.Equal($"""
            *nat
            :{chain} - [0:0]
            -F {chain}
            -A {chain} -d 10.201.0.0/16 -m comment --comment "name: \"anvil\" id: \"anvt1-masquerade\"" -j ACCEPT
            -A {chain} ! -d 224.0.0.0/4 -m comment --comment "name: \"anvil\" id: \"anvt1-masquerade\"" -j MASQUERADE
            COMMIT

            """.ReplaceLineEndings("\n"), CniConfig.MasqueradeScript(options));
        Assert.Equal(["-s", "10.201.0.0/16", "-m", "comment", "--comment", "name: \"anvil\" id: \"anvt1-masquerade\"", "-j", chain],
            CniConfig.MasqueradeJump(options));
    }

    [Fact]
    public void CleanupScriptRemovesTheNodeMasqueradeChain()
    {
        var options = new PodNetworkOptions { Prefix = "anvt1" };
        var chain = CniConfig.MasqueradeChain(options);
        var saved = $"""
            *nat
            :POSTROUTING ACCEPT [0:0]
            :{chain} - [0:0]
            -A POSTROUTING -s 10.88.0.0/16 -m comment --comment "name: \"anvil\" id: \"anvt1-masquerade\"" -j {chain}
            -A {chain} -d 10.88.0.0/16 -m comment --comment "name: \"anvil\" id: \"anvt1-masquerade\"" -j ACCEPT
            -A {chain} ! -d 224.0.0.0/4 -m comment --comment "name: \"anvil\" id: \"anvt1-masquerade\"" -j MASQUERADE
            COMMIT
            """;
        Assert.Equal($"""
            *nat
            -D POSTROUTING -s 10.88.0.0/16 -m comment --comment "name: \"anvil\" id: \"anvt1-masquerade\"" -j {chain}
            :{chain} - [0:0]
            -X {chain}
            COMMIT

            """.ReplaceLineEndings("\n"), NetworkCleanup.RemovalScript(saved.ReplaceLineEndings("\n"), "id: \\\"anvt1-", null));
    }

    [Fact]
    public void PluginConfigCarriesTheListNameVersionAndPreviousResult()
    {
        var list = CniConfig.BridgeConflist(new PodNetworkOptions(), "/d");
        var c = CniConfig.PluginConfig(list, list["plugins"]![0]!.AsObject(), System.Text.Json.Nodes.JsonNode.Parse("""{"ips":[{"address":"10.88.0.2/16"}]}""")!.AsObject());
        Assert.Equal(("anvil", "1.0.0", "10.88.0.2"), ((string?)c["name"], (string?)c["cniVersion"], CniConfig.FirstIPv4(c["prevResult"]!.AsObject())));
    }

    [Theory]
    [InlineData("anvil", "anvil0")]
    [InlineData("anvt1a2b3c", "anvt1a2b3c0")]
    [InlineData("anviltest1234abcd", "av")]
    public void BridgeNamesFitInterfaceNames(string prefix, string expectedStart)
    {
        var name = new PodNetworkOptions { Prefix = prefix }.BridgeName;
        Assert.StartsWith(expectedStart, name);
        Assert.True(name.Length <= 15, name);
    }

    [Theory]
    [InlineData("10.88.0.0/16", "10.88.255.254", true)]
    [InlineData("10.88.0.0/16", "10.89.0.1", false)]
    [InlineData("10.201.7.0/24", "10.201.7.9", true)]
    [InlineData("10.201.7.0/24", "10.201.8.9", false)]
    public void CidrContains(string cidr, string ip, bool inside) => Assert.Equal(inside, CniConfig.Contains(cidr, ip));

    [Theory]
    [InlineData("10.88.0.0")]
    [InlineData("fd00::/64")]
    [InlineData("10.88.0.0/31")]
    [InlineData("banana/16")]
    public void InvalidPodCidr(string cidr) =>
        Assert.Equal($"invalid pod CIDR \"{cidr}\": must be an IPv4 CIDR with a prefix length of 8-30 (e.g. 10.88.0.0/16)",
            Assert.Throws<FormatException>(() => CniConfig.NormalizeCidr(cidr)).Message);

    [Fact]
    public void HostsFileListsLocalhostAndThePod() =>
        Assert.Equal("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n10.88.0.7\tweb-1\n",
            PodFiles.Hosts("10.88.0.7", "web-1"));

    [Fact]
    public void ResolvConfDropsLoopbackNameserversAndSearchesTheCluster() =>
        Assert.Equal("nameserver 10.255.255.53\nnameserver 9.9.9.9\nsearch team-a.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n",
            PodFiles.ResolvConf("# generated\nnameserver 127.0.0.53\nnameserver 10.255.255.53\nnameserver ::1\nnameserver 9.9.9.9\nsearch example.org\noptions edns0\n", "team-a"));

    [Fact]
    public void CleanupScriptRemovesOurCniMasqueradeAndProxyChainsOnly()
    {
        const string saved = """
            *nat
            :PREROUTING ACCEPT [0:0]
            :POSTROUTING ACCEPT [0:0]
            :CNI-aaa - [0:0]
            :CNI-bbb - [0:0]
            :T-SERVICES - [0:0]
            -A PREROUTING -m comment --comment "anvil service portals" -j T-SERVICES
            -A POSTROUTING -s 10.88.0.2/32 -m comment --comment "name: \"anvil\" id: \"anvt1-uid1\"" -j CNI-aaa
            -A POSTROUTING -s 10.77.0.2/32 -m comment --comment "name: \"anvil\" id: \"other-uid2\"" -j CNI-bbb
            -A CNI-aaa -d 10.88.0.0/16 -m comment --comment "name: \"anvil\" id: \"anvt1-uid1\"" -j ACCEPT
            -A CNI-bbb -d 10.77.0.0/16 -m comment --comment "name: \"anvil\" id: \"other-uid2\"" -j ACCEPT
            -A T-SERVICES -d 10.96.0.1/32 -j RETURN
            COMMIT
            """;
        Assert.Equal("""
            *nat
            -D PREROUTING -m comment --comment "anvil service portals" -j T-SERVICES
            -D POSTROUTING -s 10.88.0.2/32 -m comment --comment "name: \"anvil\" id: \"anvt1-uid1\"" -j CNI-aaa
            :CNI-aaa - [0:0]
            :T-SERVICES - [0:0]
            -X CNI-aaa
            -X T-SERVICES
            COMMIT

            """.ReplaceLineEndings("\n"), NetworkCleanup.RemovalScript(saved.ReplaceLineEndings("\n"), "id: \\\"anvt1-", "T-"));
    }

    [Fact]
    public void CleanupScriptRemovesTheProxyFilterChainsAndTheirJumps()
    {
        const string saved = """
            *filter
            :INPUT ACCEPT [0:0]
            :FORWARD ACCEPT [0:0]
            :T-SERVICES - [0:0]
            :T-EXT-SERVICES - [0:0]
            :U-SERVICES - [0:0]
            -A INPUT -m conntrack --ctstate NEW -m comment --comment "anvil externally-visible service portals" -j T-EXT-SERVICES
            -A FORWARD -m conntrack --ctstate NEW -m comment --comment "anvil service portals" -j T-SERVICES
            -A FORWARD -m conntrack --ctstate NEW -m comment --comment "anvil service portals" -j U-SERVICES
            -A T-SERVICES -d 10.96.0.11/32 -p tcp -m comment --comment "ns/idle: has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable
            COMMIT
            """;
        Assert.Equal("""
            *filter
            -D INPUT -m conntrack --ctstate NEW -m comment --comment "anvil externally-visible service portals" -j T-EXT-SERVICES
            -D FORWARD -m conntrack --ctstate NEW -m comment --comment "anvil service portals" -j T-SERVICES
            :T-SERVICES - [0:0]
            :T-EXT-SERVICES - [0:0]
            -X T-SERVICES
            -X T-EXT-SERVICES
            COMMIT

            """.ReplaceLineEndings("\n"), NetworkCleanup.RemovalScript(saved.ReplaceLineEndings("\n"), null, "T-", "filter"));
    }
}
