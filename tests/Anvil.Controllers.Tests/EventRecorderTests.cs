using System.Text.Json.Nodes;
using Anvil.Client.Events;
using Anvil.Controllers.ReplicaSet;
using Anvil.Controllers.Tests.Harness;
using Microsoft.Extensions.Logging.Abstractions;

namespace Anvil.Controllers.Tests;

[Collection(SharedServerCollection.Name)]
public sealed class EventRecorderTests(ApiServerFixture server) : ControllerTest(server)
{
    [Fact]
    public async Task Record_CreatesCoreEvent_RepeatsIncrementCount()
    {
        var ns = await Server.NamespaceAsync("events-count");
        var cm = await Client.CreateAsync(new("", "v1", "configmaps", true), ns,
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "cfg" } });
        var recorder = new EventRecorder(Client, "test-controller", NullLogger.Instance);

        var first = await recorder.RecordAsync(cm, EventRecorder.Normal, "Tested", "it works");
        await recorder.RecordAsync(cm, EventRecorder.Normal, "Tested", "it works");
        await recorder.RecordAsync(cm, EventRecorder.Warning, "Other", "different");

        var events = await ListAsync(Workloads.Events, ns);
        Assert.Equal(2, events.Count);
        var e = events.Single(x => (string?)x["reason"] == "Tested");
        Assert.Equal((string?)first!["metadata"]!["name"], (string?)e["metadata"]!["name"]);
        Assert.StartsWith("cfg.", (string?)e["metadata"]!["name"]);
        Assert.Equal((2, "Normal", "it works", "test-controller"), ((int)e["count"]!, (string?)e["type"], (string?)e["message"], (string?)e["source"]!["component"]));
        Assert.Equal(("ConfigMap", "v1", "cfg", ns), ((string?)e["involvedObject"]!["kind"], (string?)e["involvedObject"]!["apiVersion"],
            (string?)e["involvedObject"]!["name"], (string?)e["involvedObject"]!["namespace"]));
        Assert.Equal((string?)cm["metadata"]!["uid"], (string?)e["involvedObject"]!["uid"]);
        Assert.NotNull(e["firstTimestamp"]);
        Assert.NotNull(e["lastTimestamp"]);
    }

    [Fact]
    public async Task Event_IsWrittenInTheBackground_FlushWaits()
    {
        var ns = await Server.NamespaceAsync("events-background");
        var cm = await Client.CreateAsync(new("", "v1", "configmaps", true), ns,
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "cfg" } });
        var recorder = new EventRecorder(Client, "test-controller", NullLogger.Instance);

        for (var i = 0; i < 3; i++) recorder.Event(cm, EventRecorder.Normal, "Tick", "same");
        await recorder.FlushAsync();

        var e = Assert.Single(await ListAsync(Workloads.Events, ns));
        Assert.Equal(3, (int)e["count"]!);
    }
}
