using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Controllers.ReplicaSet;

namespace Anvil.Controllers.Tests;

/// <summary>The ReplicaSet controller's pure parts: status, slow start, expectations, pods from templates.</summary>
public sealed class ReplicaSetLogicTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2024-06-01T00:00:00Z");

    private static JsonObject Rs(int replicas, int minReadySeconds = 0) => JsonNode.Parse($$$"""
        {"apiVersion":"apps/v1","kind":"ReplicaSet","metadata":{"name":"web","namespace":"ns","uid":"rs-uid","generation":2},
         "spec":{"replicas":{{{replicas}}},"minReadySeconds":{{{minReadySeconds}}},"selector":{"matchLabels":{"app":"web"}},
           "template":{"metadata":{"labels":{"app":"web","tier":"fe"},"annotations":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]} } } }
        """)!.AsObject();

    private static JsonObject Pod(JsonObject labels, bool ready, string since = "2024-05-31T23:59:30Z") => new()
    {
        ["metadata"] = new JsonObject { ["name"] = "p", ["labels"] = labels },
        ["status"] = new JsonObject
        {
            ["conditions"] = new JsonArray(new JsonObject { ["type"] = "Ready", ["status"] = ready ? "True" : "False", ["lastTransitionTime"] = since }),
        },
    };

    [Fact]
    public void CalculateStatus_CountsLabeledReadyAndAvailable()
    {
        var full = new JsonObject { ["app"] = "web", ["tier"] = "fe" };
        var partial = new JsonObject { ["app"] = "web" };
        var pods = new[]
        {
            Pod((JsonObject)full.DeepClone(), ready: true, since: "2024-05-31T23:00:00Z"),
            Pod((JsonObject)full.DeepClone(), ready: true),
            Pod(partial, ready: false),
        };

        var status = ReplicaSetController.CalculateStatus(Rs(3, minReadySeconds: 60), pods, null, Now);

        Assert.Equal("""{"replicas":3,"fullyLabeledReplicas":2,"readyReplicas":2,"availableReplicas":1}""", status.ToJsonString());
    }

    [Fact]
    public void CalculateStatus_FailedCreate_AddsReplicaFailure_ThenSuccessRemovesIt()
    {
        var rs = Rs(2);
        var error = new ApiException(403, "Forbidden", "pods \"web-\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=1, limited: pods=1", null);

        var failed = ReplicaSetController.CalculateStatus(rs, [], error, Now);

        var c = failed["conditions"]![0]!;
        Assert.Equal(("ReplicaFailure", "True", "FailedCreate"), ((string?)c["type"], (string?)c["status"], (string?)c["reason"]));
        Assert.Equal(error.Message, (string?)c["message"]);
        Assert.Equal("2024-06-01T00:00:00Z", (string?)c["lastTransitionTime"]);

        rs["status"] = failed;
        Assert.Null(ReplicaSetController.CalculateStatus(rs, [], null, Now)["conditions"]);
    }

    [Fact]
    public void CalculateStatus_FailedDelete_WhenTooMany()
    {
        var pods = new[] { Pod(new JsonObject { ["app"] = "web" }, false), Pod(new JsonObject { ["app"] = "web" }, false) };

        var status = ReplicaSetController.CalculateStatus(Rs(1), pods, new InvalidOperationException("boom"), Now);

        Assert.Equal("FailedDelete", (string?)status["conditions"]![0]!["reason"]);
    }

    [Theory]
    [InlineData(10, -1, 10, 10)]   // batches 1, 2, 4, 3
    [InlineData(10, 2, 3, 2)]      // the batch of 2 has a failure: it completes, nothing after it runs
    [InlineData(10, 5, 7, 6)]      // batches 1, 2, 4 (one failing), then stop
    [InlineData(0, -1, 0, 0)]
    public async Task SlowStartBatch_DoublesAndStopsAfterAFailedBatch(int count, int failAt, int expectedCalls, int expectedSuccesses)
    {
        var calls = 0;

        var (successes, error) = await ReplicaSetController.SlowStartBatchAsync(count, 1, () =>
            Interlocked.Increment(ref calls) == failAt ? Task.FromException(new InvalidOperationException("quota")) : Task.CompletedTask);

        Assert.Equal((expectedCalls, expectedSuccesses, failAt > 0), (calls, successes, error != null));
    }

    [Fact]
    public void Expectations_PendingUntilObserved_DeletionsCountedOncePerPod()
    {
        var e = new ControllerExpectations();
        Assert.True(e.Satisfied("ns/web"));

        e.ExpectCreations("ns/web", 2);
        e.CreationObserved("ns/web");
        Assert.False(e.Satisfied("ns/web"));
        e.CreationObserved("ns/web");
        Assert.True(e.Satisfied("ns/web"));

        e.ExpectDeletions("ns/web", ["ns/a", "ns/b"]);
        e.DeletionObserved("ns/web", "ns/a");
        e.DeletionObserved("ns/web", "ns/a");
        Assert.False(e.Satisfied("ns/web"));
        e.DeletionObserved("ns/web", "ns/b");
        Assert.True(e.Satisfied("ns/web"));
    }

    [Fact]
    public void Expectations_ExpireAfterTimeout()
    {
        var time = new ManualTime(Now);
        var e = new ControllerExpectations(time);
        e.ExpectCreations("k", 1);

        time.Now = Now + ControllerExpectations.Timeout - TimeSpan.FromSeconds(1);
        Assert.False(e.Satisfied("k"));
        time.Now = Now + ControllerExpectations.Timeout + TimeSpan.FromSeconds(1);
        Assert.True(e.Satisfied("k"));
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    [Fact]
    public void PodFromTemplate_GenerateNameLabelsAnnotationsAndControllerRef()
    {
        var rs = Rs(1);

        var pod = ReplicaSetController.PodFromTemplate(rs, ControllerRef.New(rs, "apps/v1", "ReplicaSet"));

        Assert.Equal("""{"generateName":"web-","namespace":"ns","labels":{"app":"web","tier":"fe"},"annotations":{"a":"b"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"web","uid":"rs-uid","controller":true,"blockOwnerDeletion":true}]}""",
            pod["metadata"]!.ToJsonString());
        Assert.Equal("""{"containers":[{"name":"c","image":"busybox"}]}""", pod["spec"]!.ToJsonString());
    }
}
