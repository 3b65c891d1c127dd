using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.EndpointSlice;
using Anvil.Controllers.ReplicaSet;
using Anvil.Controllers.Tests.Harness;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Controllers.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class EndpointSliceControllerTests(ApiServerFixture server) : ControllerTest(server)
{
    private Task<List<JsonObject>> SlicesAsync(string ns) =>
        ListAsync(EndpointSliceController.EndpointSlices, ns, "labelSelector=" + Uri.EscapeDataString("kubernetes.io/service-name=web"));

    [Fact]
    public async Task ServiceGetsASliceThatFollowsItsPods()
    {
        using var stop = new CancellationTokenSource();
        var controller = new EndpointSliceController(Client, NullLogger.Instance);
        var run = controller.RunAsync(2, stop.Token);
        try
        {
            var ns = await Server.NamespaceAsync("eps-basic");
            foreach (var name in new[] { "a", "b" })
                await Client.CreateAsync(Workloads.Pods, ns, JsonNode.Parse($$$"""
                    {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"app":"web"}},
                     "spec":{"containers":[{"name":"c","image":"busybox","ports":[{"name":"http","containerPort":8080}]}]}}
                    """)!.AsObject());
            var svc = await Client.CreateAsync(Workloads.Services, ns, JsonNode.Parse("""
                {"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
                 "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"http"}]}}
                """)!.AsObject());

            // No IPs yet: one placeholder slice.
            var placeholder = await Eventually.UntilAsync("placeholder slice", async () => (await SlicesAsync(ns)).FirstOrDefault());
            Assert.Equal("[]", placeholder["endpoints"]!.ToJsonString());
            Assert.StartsWith("web-", ObjectMeta.Name(placeholder));
            Assert.Equal("endpointslice-controller.k8s.io", (string?)placeholder["metadata"]!["labels"]!["endpointslice.kubernetes.io/managed-by"]);
            Assert.Equal(ObjectMeta.Uid(svc), (string?)placeholder["metadata"]!["ownerReferences"]![0]!["uid"]);

            await SimulatedKubelet.ReadyAsync(Client, ns, "a", "10.244.7.1");
            await SimulatedKubelet.RunningAsync(Client, ns, "b", "10.244.7.2");
            var slice = await Eventually.UntilAsync("slice with two endpoints", async () =>
                (await SlicesAsync(ns)) is [var s] && s["endpoints"] is JsonArray { Count: 2 } ? s : null,
                async () => string.Join("\n", (await SlicesAsync(ns)).Select(s => s.ToJsonString())));
            Assert.Equal(ObjectMeta.Name(placeholder), ObjectMeta.Name(slice));
            Assert.Equal("""[{"name":"http","port":8080,"protocol":"TCP"}]""", slice["ports"]!.ToJsonString());
            Assert.Equal(["10.244.7.1:true", "10.244.7.2:false"],
                slice["endpoints"]!.AsArray().Select(e => $"{(string?)e!["addresses"]![0]}:{e["conditions"]!["ready"]}").ToList());

            await Client.DeleteAsync(Workloads.Pods, ns, "a");
            await Eventually.UntilAsync("deleted pod leaves the slice", async () =>
                (await SlicesAsync(ns)) is [var s] && s["endpoints"]!.AsArray().Select(e => (string?)e!["addresses"]![0]).SequenceEqual(["10.244.7.2"]));
        }
        finally
        {
            stop.Cancel();
            try { await run; } catch (OperationCanceledException) { }
        }
    }
}
