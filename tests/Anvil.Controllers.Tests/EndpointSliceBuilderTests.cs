using System.Text.Json.Nodes;
using Anvil.Controllers.EndpointSlice;

namespace Anvil.Controllers.Tests;

public sealed class EndpointSliceBuilderTests
{
    private static JsonObject Svc(string ports = """[{"name":"http","port":80,"targetPort":"web"}]""", bool publishNotReady = false) => JsonNode.Parse($$$"""
        {"metadata":{"name":"web","namespace":"ns","labels":{"team":"x","kubernetes.io/service-name":"spoof"}},
         "spec":{"clusterIP":"10.96.0.5","selector":{"app":"web"},"ports":{{{ports}}},"publishNotReadyAddresses":{{{(publishNotReady ? "true" : "false")}}}}}
        """)!.AsObject();

    private static JsonObject Pod(string name, string ip, bool ready, bool deleting = false, int containerPort = 8080, string phase = "Running") => JsonNode.Parse($$$"""
        {"metadata":{"name":"{{{name}}}","namespace":"ns","uid":"uid-{{{name}}}"{{{(deleting ? ",\"deletionTimestamp\":\"2026-01-01T00:00:00Z\"" : "")}}}},
         "spec":{"nodeName":"n1","containers":[{"name":"c","ports":[{"name":"web","containerPort":{{{containerPort}}}}]}]},
         "status":{"phase":"{{{phase}}}","podIP":"{{{ip}}}","conditions":[{"type":"Ready","status":"{{{(ready ? "True" : "False")}}}"}]}}
        """)!.AsObject();

    [Theory]
    // ready, deleting, publishNotReadyAddresses -> conditions
    [InlineData(true, false, false, """{"ready":true,"serving":true,"terminating":false}""")]
    [InlineData(false, false, false, """{"ready":false,"serving":false,"terminating":false}""")]
    [InlineData(true, true, false, """{"ready":false,"serving":true,"terminating":true}""")]
    [InlineData(false, false, true, """{"ready":true,"serving":false,"terminating":false}""")]
    public void EndpointConditions(bool ready, bool deleting, bool publishNotReady, string conditions)
    {
        var body = Assert.Single(EndpointSliceBuilder.DesiredBodies(Svc(publishNotReady: publishNotReady), [Pod("a", "10.88.0.2", ready, deleting)]));
        Assert.Equal($$$"""
            {"addressType":"IPv4","endpoints":[{"addresses":["10.88.0.2"],"conditions":{{{conditions}}},"nodeName":"n1","targetRef":{"kind":"Pod","namespace":"ns","name":"a","uid":"uid-a"}}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}
            """.Trim(), body.ToJsonString());
    }

    [Fact]
    public void PodsWithoutIpOrFinishedAreLeftOut_NoEndpointsKeepsAPlaceholder()
    {
        var body = Assert.Single(EndpointSliceBuilder.DesiredBodies(Svc(), [Pod("a", "", true), Pod("b", "10.88.0.3", true, phase: "Succeeded")]));
        Assert.Equal("""{"addressType":"IPv4","endpoints":[]}""", body.ToJsonString());
    }

    [Fact]
    public void NamedTargetPortsResolvingDifferentlySplitSlices()
    {
        var bodies = EndpointSliceBuilder.DesiredBodies(Svc(), [Pod("a", "10.88.0.2", true, containerPort: 8080), Pod("b", "10.88.0.3", true, containerPort: 9090)]);
        Assert.Equal(["8080:10.88.0.2", "9090:10.88.0.3"],
            bodies.Select(b => $"{(int)b["ports"]![0]!["port"]!}:{(string?)b["endpoints"]![0]!["addresses"]![0]}").Order().ToList());
    }

    [Fact]
    public void AtMostOneHundredEndpointsPerSlice()
    {
        var pods = Enumerable.Range(0, 150).Select(i => Pod("p" + i, $"10.88.{i / 200}.{i % 200 + 2}", true)).ToList();
        Assert.Equal([100, 50], EndpointSliceBuilder.DesiredBodies(Svc(), pods).Select(b => b["endpoints"]!.AsArray().Count).ToList());
    }

    [Fact]
    public void LabelsCopyTheServiceButNotTheReservedOnes()
    {
        Assert.Equal("""{"team":"x","kubernetes.io/service-name":"web","endpointslice.kubernetes.io/managed-by":"endpointslice-controller.k8s.io"}""",
            EndpointSliceBuilder.Labels(Svc()).ToJsonString());
    }

    [Fact]
    public void MatchesIgnoresPodResourceVersions()
    {
        var body = EndpointSliceBuilder.DesiredBodies(Svc(), [Pod("a", "10.88.0.2", true)])[0];
        var labels = EndpointSliceBuilder.Labels(Svc());
        var stored = (JsonObject)body.DeepClone();
        stored["metadata"] = new JsonObject { ["labels"] = labels.DeepClone() };
        stored["endpoints"]![0]!["targetRef"]!["resourceVersion"] = "7";
        Assert.True(EndpointSliceBuilder.Matches(stored, body, labels));
        stored["endpoints"]![0]!["conditions"]!["ready"] = false;
        Assert.False(EndpointSliceBuilder.Matches(stored, body, labels));
    }
}
