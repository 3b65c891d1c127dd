using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.Endpoints;
using Anvil.Controllers.ReplicaSet;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class EndpointsControllerTests : ControllerTest
{

    public EndpointsControllerTests(ApiServerFixture server) : base(server)
    {
        var endpoints = new EndpointsController(Client, Log);
        Run(ct => endpoints.RunAsync(2, ct));
    }

    private async Task<JsonObject?> EndpointsAsync(string ns, string name)
    {
        try { return await Client.GetAsync(Workloads.Endpoints, ns, name); }
        catch (ApiException e) when (e.IsNotFound) { return null; }
    }

    private Task<JsonObject> CreatePodAsync(string ns, string name, string app = "web") =>
        Client.CreateAsync(Workloads.Pods, ns, JsonNode.Parse($$$"""
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"{{{app}}}"}},
             "spec":{"containers":[{"name":"c","image":"busybox","ports":[{"name":"http","containerPort":8080}]}]} }
            """)!.AsObject());

    [Fact]
    public async Task Service_GetsEndpoints_PodsWithoutIpSkipped_ReadyAndNotReady()
    {
        var ns = await Server.NamespaceAsync("ep-basic");
        var a = await CreatePodAsync(ns, "a");
        await CreatePodAsync(ns, "b");
        await CreatePodAsync(ns, "c");
        await CreatePodAsync(ns, "other", app: "other");
        await Client.CreateAsync(Workloads.Services, ns, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web","labels":{"team":"x"}},
             "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"http"}]}}
            """)!.AsObject());

        // No node agent: pods have no IP, so the Endpoints exist but are empty.
        var empty = await Eventually.UntilAsync("empty endpoints", () => EndpointsAsync(ns, "web"));
        Assert.Null(empty["subsets"]);
        Assert.Equal("x", (string?)empty["metadata"]!["labels"]!["team"]);

        await SimulatedKubelet.ReadyAsync(Client, ns, "a", "10.244.1.1");
        await SimulatedKubelet.RunningAsync(Client, ns, "b", "10.244.1.2");
        await SimulatedKubelet.ReadyAsync(Client, ns, "other", "10.244.1.9");

        var ep = await Eventually.UntilAsync("endpoints with addresses", async () =>
            await EndpointsAsync(ns, "web") is { } e && e["subsets"]?[0]?["notReadyAddresses"] != null && e["subsets"]?[0]?["addresses"] != null ? e : null);
        Assert.Equal($$$"""[{"addresses":[{"ip":"10.244.1.1","targetRef":{"kind":"Pod","namespace":"{{{ns}}}","name":"a","uid":"{{{ObjectMeta.Uid(a)}}}"}}],"notReadyAddresses":[{"ip":"10.244.1.2","targetRef":{"kind":"Pod","namespace":"{{{ns}}}","name":"b","uid":"{{{ObjectMeta.Uid(await Client.GetAsync(Workloads.Pods, ns, "b"))}}}"}}],"ports":[{"name":"http","port":8080,"protocol":"TCP"}]}]""",
            ep["subsets"]!.ToJsonString());

        await Client.DeleteAsync(Workloads.Pods, ns, "a");
        await Eventually.UntilAsync("deleted pod leaves", async () => await EndpointsAsync(ns, "web") is { } e && e["subsets"]?[0]?["addresses"] == null);
    }

    [Fact]
    public async Task ServiceDeleted_EndpointsDeleted_NoSelector_NoEndpoints()
    {
        var ns = await Server.NamespaceAsync("ep-delete");
        await Client.CreateAsync(Workloads.Services, ns, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},"spec":{"selector":{"app":"web"},"ports":[{"port":80}]}}
            """)!.AsObject());
        await Client.CreateAsync(Workloads.Services, ns, JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Service","metadata":{"name":"manual"},"spec":{"ports":[{"port":80}]}}
            """)!.AsObject());
        await Eventually.UntilAsync("endpoints", () => EndpointsAsync(ns, "web"));

        await Client.DeleteAsync(Workloads.Services, ns, "web");

        await Eventually.UntilAsync("endpoints deleted", async () => await EndpointsAsync(ns, "web") == null);
        Assert.Null(await EndpointsAsync(ns, "manual"));
    }
}
