using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Tests.Store;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Registry;

/// <summary>Cluster IP and node port allocation through the store, with kube-apiserver's messages.</summary>
public sealed class ServiceAllocatorTests : IAsyncLifetime
{
    private StoreFixture _f = null!;
    private ResourceDefinition Services => _f.Resource("services");
    private static readonly WriteOptions Write = new();

    public async Task InitializeAsync() => _f = await StoreFixture.CreateAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static JsonObject Svc(string name, string type, string ports) =>
        StoreFixture.Obj($$$"""{"apiVersion":"v1","kind":"Service","metadata":{"name":"{{{name}}}"},"spec":{"type":"{{{type}}}","selector":{"app":"x"},"ports":{{{ports}}}}}""");

    private static List<long> NodePorts(JsonObject svc) => ((JsonArray)svc["spec"]!["ports"]!).Select(p => long.Parse(p!["nodePort"]?.ToJsonString() ?? "0", System.Globalization.CultureInfo.InvariantCulture)).ToList();

    [Fact]
    public async Task NodePortServicesGetAPortFromTheRangeAndPortsOfOneNumberShareIt()
    {
        var created = await _f.Store.CreateAsync(Services, "ns", Svc("dns", "NodePort",
            """[{"name":"udp","port":53,"protocol":"UDP"},{"name":"tcp","port":53,"protocol":"TCP"},{"name":"web","port":80,"protocol":"TCP"}]"""), Write, default);
        var ports = NodePorts(created);
        Assert.All(ports, p => Assert.InRange(p, 30000, 32767));
        Assert.Equal(ports[0], ports[1]);
        Assert.NotEqual(ports[0], ports[2]);
        Assert.Matches(@"^10\.(9[6-9]|10[0-9]|11[01])\.", (string?)created["spec"]!["clusterIP"]);

        var clusterIP = await _f.Store.CreateAsync(Services, "ns", Svc("plain", "ClusterIP", """[{"port":80}]"""), Write, default);
        Assert.Equal([0L], NodePorts(clusterIP));
    }

    [Theory]
    [InlineData(30080, "Service \"second\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated")]
    [InlineData(40000, "Service \"second\" is invalid: spec.ports[0].nodePort: Invalid value: 40000: provided port is not in the valid range. The range of valid ports is 30000-32767")]
    [InlineData(29999, "Service \"second\" is invalid: spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767")]
    public async Task ARequestedNodePortMustBeFreeAndInTheRange(int nodePort, string message)
    {
        var first = await _f.Store.CreateAsync(Services, "ns", Svc("first", "NodePort", """[{"port":80,"nodePort":30080}]"""), Write, default);
        Assert.Equal([30080L], NodePorts(first));
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.CreateAsync(Services, "ns", Svc("second", "NodePort", $$"""[{"port":80,"nodePort":{{nodePort}}}]"""), Write, default));
        Assert.Equal(422, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task AnUpdateToNodePortAllocatesAndKeepsTheServicesOwnPorts()
    {
        await _f.Store.CreateAsync(Services, "ns", Svc("other", "NodePort", """[{"port":80,"nodePort":30081}]"""), Write, default);
        var svc = await _f.Store.CreateAsync(Services, "ns", Svc("web", "ClusterIP", """[{"port":80}]"""), Write, default);
        svc["spec"]!["type"] = "NodePort";
        var (updated, _) = await _f.Store.UpdateAsync(Services, "ns", "web", svc, Write, default);
        var port = Assert.Single(NodePorts(updated));
        Assert.InRange(port, 30000, 32767);
        Assert.NotEqual(30081, port);

        // Its own port again, plus a second port asking for one that is taken.
        updated["spec"]!["ports"] = JsonNode.Parse($$"""[{"port":80,"nodePort":{{port}}},{"name":"b","port":81,"nodePort":30081}]""");
        updated["spec"]!["ports"]![0]!["name"] = "a";
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.Store.UpdateAsync(Services, "ns", "web", updated, Write, default));
        Assert.Equal("Service \"web\" is invalid: spec.ports[1].nodePort: Invalid value: 30081: provided port is already allocated", e.Message);
        updated["spec"]!["ports"]![1]!["nodePort"] = 30082;
        var (again, _) = await _f.Store.UpdateAsync(Services, "ns", "web", updated, Write, default);
        Assert.Equal([port, 30082L], NodePorts(again));
    }

    [Fact]
    public async Task AnExternalNameServiceTurnedClusterIPGetsAnAddress()
    {
        var svc = await _f.Store.CreateAsync(Services, "ns",
            StoreFixture.Obj("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"ext"},"spec":{"type":"ExternalName","externalName":"example.org"}}"""), Write, default);
        Assert.Null(svc["spec"]!["clusterIP"]);
        svc["spec"] = JsonNode.Parse("""{"type":"ClusterIP","selector":{"app":"x"},"ports":[{"port":80}]}""");
        var (updated, _) = await _f.Store.UpdateAsync(Services, "ns", "ext", svc, Write, default);
        Assert.Matches(@"^10\.(9[6-9]|10[0-9]|11[01])\.", (string?)updated["spec"]!["clusterIP"]);
        Assert.Equal((string?)updated["spec"]!["clusterIP"], (string?)updated["spec"]!["clusterIPs"]![0]);
    }
}
