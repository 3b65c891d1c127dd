using System.Text.Json.Nodes;
using Anvil.Controllers.Endpoints;

namespace Anvil.Controllers.Tests;

public sealed class EndpointsLogicTests
{
    private static JsonObject Pod(string name, string ip, bool ready, string node = "", string phase = "Running", bool deleting = false)
    {
        var pod = JsonNode.Parse($$$"""
            {"metadata":{"name":"{{{name}}}","namespace":"ns","uid":"{{{name}}}-uid","labels":{"app":"web"}},
             "spec":{"containers":[{"name":"c","ports":[{"name":"http","containerPort":8080,"protocol":"TCP"},{"name":"dns","containerPort":53,"protocol":"UDP"}]}]},
             "status":{"phase":"{{{phase}}}","podIP":"{{{ip}}}","conditions":[{"type":"Ready","status":"{{{(ready ? "True" : "False")}}}"}]}}
            """)!.AsObject();
        if (node.Length > 0) pod["spec"]!["nodeName"] = node;
        if (deleting) pod["metadata"]!["deletionTimestamp"] = "2024-01-01T00:00:00Z";
        return pod;
    }

    private static JsonObject Service(string ports, bool publishNotReady = false) => JsonNode.Parse($$$"""
        {"metadata":{"name":"web","namespace":"ns"},"spec":{"clusterIP":"10.96.0.10","selector":{"app":"web"},"ports":{{{ports}}},"publishNotReadyAddresses":{{{(publishNotReady ? "true" : "false")}}}}}
        """)!.AsObject();

    [Theory]
    [InlineData("""{"port":80,"targetPort":8080,"protocol":"TCP"}""", 8080)]
    [InlineData("""{"port":80,"targetPort":"http","protocol":"TCP"}""", 8080)]
    [InlineData("""{"port":53,"targetPort":"dns","protocol":"UDP"}""", 53)]
    [InlineData("""{"port":53,"targetPort":"dns","protocol":"TCP"}""", null)]  // the protocol must match too
    [InlineData("""{"port":80,"targetPort":"nope","protocol":"TCP"}""", null)]
    public void FindPort_NumberOrNamedContainerPort(string servicePort, int? expected) =>
        Assert.Equal(expected, EndpointsController.FindPort(Pod("a", "10.0.0.1", true), JsonNode.Parse(servicePort)!.AsObject()));

    [Theory]
    [InlineData("10.0.0.1", "Running", false, false, true)]
    [InlineData("", "Pending", false, false, false)]        // no IP yet (no node agent): left out
    [InlineData("10.0.0.1", "Succeeded", false, false, false)]
    [InlineData("10.0.0.1", "Running", true, false, false)]
    [InlineData("10.0.0.1", "Running", true, true, true)]   // terminating, but publishNotReadyAddresses
    public void ShouldPodBeInEndpoints(string ip, string phase, bool deleting, bool includeTerminating, bool expected) =>
        Assert.Equal(expected, EndpointsController.ShouldPodBeInEndpoints(Pod("a", ip, true, phase: phase, deleting: deleting), includeTerminating));

    [Fact]
    public void ComputeSubsets_ReadyAndNotReady_SortedByIp_PortsResolved()
    {
        var svc = Service("""[{"name":"http","port":80,"targetPort":"http","protocol":"TCP"}]""");
        var pods = new[] { Pod("b", "10.0.0.2", true, node: "n1"), Pod("a", "10.0.0.1", true), Pod("c", "10.0.0.3", false), Pod("d", "", false, phase: "Pending") };

        var subsets = EndpointsController.ComputeSubsets(svc, pods);

        Assert.Equal("""[{"addresses":[{"ip":"10.0.0.1","targetRef":{"kind":"Pod","namespace":"ns","name":"a","uid":"a-uid"}},{"ip":"10.0.0.2","nodeName":"n1","targetRef":{"kind":"Pod","namespace":"ns","name":"b","uid":"b-uid"}}],"notReadyAddresses":[{"ip":"10.0.0.3","targetRef":{"kind":"Pod","namespace":"ns","name":"c","uid":"c-uid"}}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]""",
            subsets.ToJsonString());
    }

    [Fact]
    public void ComputeSubsets_PublishNotReadyAddresses_AllReady()
    {
        var svc = Service("""[{"port":80,"targetPort":8080,"protocol":"TCP"}]""", publishNotReady: true);

        var subsets = EndpointsController.ComputeSubsets(svc, [Pod("c", "10.0.0.3", false)]);

        Assert.Equal("""[{"addresses":[{"ip":"10.0.0.3","targetRef":{"kind":"Pod","namespace":"ns","name":"c","uid":"c-uid"}}],"ports":[{"port":8080,"protocol":"TCP"}]}]""", subsets.ToJsonString());
    }

    [Fact]
    public void Repack_SplitsAddressesByTheirPortSets()
    {
        // Pod b has no "dns" port for TCP... both have http; only a resolves the second port.
        var svc = Service("""[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"},{"name":"dns","port":53,"targetPort":"dns","protocol":"UDP"}]""");
        var a = Pod("a", "10.0.0.1", true);
        var b = Pod("b", "10.0.0.2", true);
        b["spec"]!["containers"]![0]!["ports"] = new JsonArray();

        var subsets = EndpointsController.ComputeSubsets(svc, [a, b]);

        Assert.Equal(2, subsets.Count);
        Assert.Equal("""[{"name":"dns","port":53,"protocol":"UDP"},{"name":"http","port":8080,"protocol":"TCP"}]""", subsets[0]!["ports"]!.ToJsonString());
        Assert.Equal("10.0.0.1", (string?)subsets[0]!["addresses"]![0]!["ip"]);
        Assert.Equal("""[{"name":"http","port":8080,"protocol":"TCP"}]""", subsets[1]!["ports"]!.ToJsonString());
        Assert.Equal("10.0.0.2", (string?)subsets[1]!["addresses"]![0]!["ip"]);
    }
}
