using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

[Collection(ControlPlaneCollection.Name)]
public sealed class EndpointsControllerTests(ControlPlane plane)
{
    private async Task<JsonObject?> EndpointsAsync(string ns, string name)
    {
        try { return await plane.Client.GetAsync(Workloads.Endpoints, ns, name); }
        catch (ApiException e) when (e.IsNotFound) { return null; }
    }

    private Task<JsonObject> CreatePodAsync(string ns, string name, string app = "web") =>
        plane.Client.CreateAsync(Workloads.Pods, ns, JsonNode.Parse($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"{{{app}}}"}},
             "spec":{"containers":[{"name":"c","image":"busybox","ports":[{"name":"http","containerPort":8080}]}]} }
            """)!.AsObject());

    [Fact]
    public async Task Service_GetsEndpoints_PodsWithoutIpSkipped_ReadyAndNotReady()
    {
        var ns = await plane.NamespaceAsync("ep-basic");
        var a = await CreatePodAsync(ns, "a");
        await CreatePodAsync(ns, "b");
        await CreatePodAsync(ns, "c");
        await CreatePodAsync(ns, "other", app: "other");
        await plane.Client.CreateAsync(Workloads.Services, ns, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"team":"x"}},
             "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"http"}]}}
            """)!.AsObject());

        // No node agent: pods have no IP, so the Endpoints exist but are empty.
        var empty = await ControlPlane.EventuallyAsync("empty endpoints", () => EndpointsAsync(ns, "web"));
        Assert.Null(empty["subsets"]);
        Assert.Equal("x", (string?)empty["metadata"]!["labels"]!["team"]);

        await plane.SimulatedKubeletReadyAsync(ns, "a", "10.244.1.1");
        await plane.SimulatedKubeletRunningAsync(ns, "b", "10.244.1.2");
        await plane.SimulatedKubeletReadyAsync(ns, "other", "10.244.1.9");

        var ep = await ControlPlane.EventuallyAsync("endpoints with addresses", async () =>
            await EndpointsAsync(ns, "web") is { } e && e["subsets"]?[0]?["notReadyAddresses"] != null && e["subsets"]?[0]?["addresses"] != null ? e : null);
        Assert.Equal($$$"""[{"addresses":[{"ip":"10.244.1.1","targetRef":{"kind":"Pod","namespace":"{{{ns}}}","name":"a","uid":"{{{ObjectMeta.Uid(a)}}}"}}],"notReadyAddresses":[{"ip":"10.244.1.2","targetRef":{"kind":"Pod","namespace":"{{{ns}}}","name":"b","uid":"{{{ObjectMeta.Uid(await plane.Client.GetAsync(Workloads.Pods, ns, "b"))}}}"}}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]""",
            ep["subsets"]!.ToJsonString());

        await plane.Client.DeleteAsync(Workloads.Pods, ns, "a");
        await ControlPlane.EventuallyAsync("deleted pod leaves", async () => await EndpointsAsync(ns, "web") is { } e && e["subsets"]?[0]?["addresses"] == null);
    }

    [Fact]
    public async Task ServiceDeleted_EndpointsDeleted_NoSelector_NoEndpoints()
    {
        var ns = await plane.NamespaceAsync("ep-delete");
        await plane.Client.CreateAsync(Workloads.Services, ns, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}
            """)!.AsObject());
        await plane.Client.CreateAsync(Workloads.Services, ns, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"manual"},"spec":{"ports":[{"port":80}]}}
            """)!.AsObject());
        await ControlPlane.EventuallyAsync("endpoints", () => EndpointsAsync(ns, "web"));

        await plane.Client.DeleteAsync(Workloads.Services, ns, "web");

        await ControlPlane.EventuallyAsync("endpoints deleted", async () => await EndpointsAsync(ns, "web") == null);
        Assert.Null(await EndpointsAsync(ns, "manual"));
    }
}
