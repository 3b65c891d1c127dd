using System.Text.Json.Nodes;
using Anvil.Controllers.Deployment;
using static Anvil.Controllers.Deployment.DeploymentUtil;

namespace Anvil.Controllers.Tests;

public sealed class DeploymentUtilTests
{
    private static JsonObject Deployment(int replicas, string maxSurge = "25%", string maxUnavailable = "25%", string strategy = "RollingUpdate") =>
        JsonNode.Parse($$$"""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"ns","generation":1},
             "spec":{"replicas":{{{replicas}}},"selector":{"matchLabels":{"app":"web"}},
               "strategy":{"type":"{{{strategy}}}","rollingUpdate":{"maxSurge":{{{Value(maxSurge)}}},"maxUnavailable":{{{Value(maxUnavailable)}}}}},
               "template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"busybox"}]} } } }
            """)!.AsObject();

    private static string Value(string s) => s.EndsWith('%') ? $"\"{s}\"" : s;

    private static JsonObject Rs(string name, int replicas, int available = 0, string? maxReplicas = null, string created = "2024-01-01T00:00:00Z")
    {
        var rs = JsonNode.Parse($$$"""
            {"metadata":{"name":"{{{name}}}","uid":"{{{name}}}-uid","creationTimestamp":"{{{created}}}","annotations":{}},
             "spec":{"replicas":{{{replicas}}}},"status":{"replicas":{{{replicas}}},"availableReplicas":{{{available}}}}}
            """)!.AsObject();
        if (maxReplicas != null) rs["metadata"]!["annotations"]![MaxReplicasAnnotation] = maxReplicas;
        return rs;
    }

    [Theory]
    [InlineData("25%", "25%", 10, 3, 2)]
    [InlineData("25%", "25%", 1, 1, 0)]
    [InlineData("25%", "25%", 4, 1, 1)]
    [InlineData("0", "0", 3, 0, 1)]      // both zero would never progress: one may be unavailable
    [InlineData("50%", "50%", 3, 2, 1)]  // surge rounds up, unavailability down
    [InlineData("2", "1", 5, 2, 1)]
    [InlineData("100%", "0", 3, 3, 0)]
    public void ResolveFenceposts_RoundsLikeUpstream(string surge, string unavailable, int desired, int expectedSurge, int expectedUnavailable)
    {
        var (s, u) = ResolveFenceposts(JsonNode.Parse(Value(surge)), JsonNode.Parse(Value(unavailable)), desired);

        Assert.Equal((expectedSurge, expectedUnavailable), (s, u));
    }

    [Fact]
    public void MaxUnavailable_CappedAtReplicas_ZeroForRecreate()
    {
        Assert.Equal(2, MaxUnavailable(Deployment(2, "0", "5")));
        Assert.Equal(0, MaxUnavailable(Deployment(4, strategy: "Recreate")));
        Assert.Equal(0, MaxSurge(Deployment(4, strategy: "Recreate")));
    }

    [Theory]
    [InlineData(10, 10, 0, 3)]   // old 10 + new 0 = 10 < 13: new may grow by 3
    [InlineData(10, 8, 3, 5)]    // 11 < 13: +2
    [InlineData(10, 10, 3, 3)]   // at the surge limit: stays
    [InlineData(3, 0, 2, 3)]     // never above the deployment's replicas
    public void NewRSNewReplicas_WithinSurge(int replicas, int oldSize, int newSize, int expected)
    {
        var d = Deployment(replicas);
        var oldRs = Rs("old", oldSize);
        var newRs = Rs("new", newSize);

        Assert.Equal(expected, NewRSNewReplicas(d, [oldRs, newRs], newRs));
    }

    [Fact]
    public void NewRSNewReplicas_Recreate_AllAtOnce() =>
        Assert.Equal(4, NewRSNewReplicas(Deployment(4, strategy: "Recreate"), [Rs("old", 4), Rs("new", 0)], Rs("new", 0)));

    [Fact]
    public void SafeEncodeString_MapsIntoTheSafeAlphabet() => Assert.Equal("456789bcdf", SafeEncodeString("0123456789"));

    [Fact]
    public void ComputeHash_StableAcrossKeyOrder_ChangesWithTemplateAndCollisionCount()
    {
        var a = JsonNode.Parse("""{"metadata":{"labels":{"app":"web","tier":"x"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}""");
        var b = JsonNode.Parse("""{"spec":{"containers":[{"image":"busybox","name":"c"}]},"metadata":{"labels":{"tier":"x","app":"web"}}}""");
        var c = JsonNode.Parse("""{"metadata":{"labels":{"app":"web","tier":"x"}},"spec":{"containers":[{"name":"c","image":"busybox:1.36"}]}}""");

        var hash = ComputeHash(a, null);

        Assert.Equal(hash, ComputeHash(b, null));
        Assert.NotEqual(hash, ComputeHash(c, null));
        Assert.NotEqual(hash, ComputeHash(a, 1));
        Assert.Matches("^[bcdfghjklmnpqrstvwxz2456789]{1,10}$", hash);
    }

    [Fact]
    public void EqualIgnoreHash_IgnoresOnlyTheHashLabel()
    {
        var d = JsonNode.Parse("""{"metadata":{"labels":{"app":"web"}},"spec":{"x":1}}""");
        var rs = JsonNode.Parse("""{"metadata":{"labels":{"app":"web","pod-template-hash":"abc"}},"spec":{"x":1}}""");
        var other = JsonNode.Parse("""{"metadata":{"labels":{"app":"web","pod-template-hash":"abc"}},"spec":{"x":2}}""");

        Assert.True(EqualIgnoreHash(d, rs));
        Assert.False(EqualIgnoreHash(d, other));
        Assert.True(EqualIgnoreHash(JsonNode.Parse("""{"metadata":{"labels":{"pod-template-hash":"a"}}}"""), JsonNode.Parse("{}")));
    }

    [Fact]
    public void SetNewReplicaSetAnnotations_NewReplicaSet_RevisionAndReplicaAnnotations()
    {
        var d = Deployment(4);
        d["metadata"]!["annotations"] = new JsonObject { ["team"] = "a", [LastAppliedAnnotation] = "{}", [RevisionAnnotation] = "7" };
        var rs = Rs("new", 0);

        Assert.True(SetNewReplicaSetAnnotations(d, rs, "3", exists: false));

        var a = rs["metadata"]!["annotations"]!.AsObject();
        Assert.Equal("a", (string?)a["team"]);
        Assert.Equal("3", (string?)a[RevisionAnnotation]);
        Assert.Equal("4", (string?)a[DesiredReplicasAnnotation]);
        Assert.Equal("5", (string?)a[MaxReplicasAnnotation]);
        Assert.False(a.ContainsKey(LastAppliedAnnotation));
        Assert.False(a.ContainsKey(RevisionHistoryAnnotation));
    }

    [Fact]
    public void SetNewReplicaSetAnnotations_ReusedReplicaSet_BumpsRevisionAndRecordsHistory()
    {
        var d = Deployment(2);
        var rs = Rs("old", 0);
        rs["metadata"]!["annotations"]![RevisionAnnotation] = "1";

        Assert.True(SetNewReplicaSetAnnotations(d, rs, "3", exists: true));
        Assert.True(SetNewReplicaSetAnnotations(d, rs, "5", exists: true));
        Assert.False(SetNewReplicaSetAnnotations(d, rs, "4", exists: true));

        Assert.Equal("5", Annotation(rs, RevisionAnnotation));
        Assert.Equal("1,3", Annotation(rs, RevisionHistoryAnnotation));
        Assert.Equal("", Annotation(rs, DesiredReplicasAnnotation));
    }

    [Fact]
    public void Proportion_SplitsByMaxReplicasAnnotation()
    {
        // A rollout of 10 (max 13) scaled to 20 (max 25): sizes 8 and 5 grow in proportion 25/13.
        var d = Deployment(20);
        var big = Rs("a", 8, maxReplicas: "13");
        var small = Rs("b", 5, maxReplicas: "13");
        var toAdd = 25 - 13;

        var first = Proportion(big, d, toAdd, 0);
        var second = Proportion(small, d, toAdd, first);

        Assert.Equal((7, 5), (first, second)); // round(8*25/13)=15 → +7; round(5*25/13)=10 → +5
    }

    [Fact]
    public void FindActiveOrLatest_OneActive_NoneActive_Several()
    {
        var newRs = Rs("new", 0, created: "2024-01-02T00:00:00Z");
        var old1 = Rs("old1", 3, created: "2024-01-01T00:00:00Z");
        var old2 = Rs("old2", 0, created: "2024-01-01T12:00:00Z");

        Assert.Equal("old1", Anvil.Machinery.Meta.ObjectMeta.Name(FindActiveOrLatest(newRs, [old1, old2])!));
        Assert.Equal("new", Anvil.Machinery.Meta.ObjectMeta.Name(FindActiveOrLatest(newRs, [old2])!));
        Assert.Equal("old2", Anvil.Machinery.Meta.ObjectMeta.Name(FindActiveOrLatest(null, [Rs("old1", 0, created: "2024-01-01T00:00:00Z"), old2])!));
        Assert.Null(FindActiveOrLatest(Rs("new", 1), [old1]));
    }

    [Fact]
    public void SetCondition_SameStatusAndReason_IsNoOp_SameStatus_KeepsTransitionTime()
    {
        var status = new JsonObject();
        var t0 = DateTimeOffset.Parse("2024-01-01T00:00:00Z");
        var t1 = t0.AddMinutes(5);
        SetCondition(status, NewCondition("Progressing", "True", NewReplicaSetReason, "Created new replica set \"web-1\"", t0));
        SetCondition(status, NewCondition("Available", "False", MinimumReplicasUnavailable, "Deployment does not have minimum availability.", t0));

        SetCondition(status, NewCondition("Progressing", "True", NewReplicaSetReason, "other message", t1));
        Assert.Equal("Created new replica set \"web-1\"", (string?)GetCondition(status, "Progressing")!["message"]);

        SetCondition(status, NewCondition("Progressing", "True", NewRSAvailableReason, "ReplicaSet \"web-1\" has successfully progressed.", t1));
        var c = GetCondition(status, "Progressing")!;
        Assert.Equal(("2024-01-01T00:00:00Z", "2024-01-01T00:05:00Z"), ((string?)c["lastTransitionTime"], (string?)c["lastUpdateTime"]));
        // Re-set conditions move last, as upstream's filter-and-append does (kubectl shows Available first).
        Assert.Equal(["Available", "Progressing"], status["conditions"]!.AsArray().Select(x => (string?)x!["type"]));
    }

    [Fact]
    public void CalculateStatus_SumsReplicaSets_AvailableCondition()
    {
        var d = Deployment(4);
        var oldRs = Rs("old", 2, available: 2);
        var newRs = Rs("new", 3, available: 1);
        newRs["status"]!["readyReplicas"] = 2;

        var status = CalculateStatus([oldRs, newRs], newRs, d, DateTimeOffset.UnixEpoch);

        Assert.Equal((1L, 5, 3, 2, 3, 2), ((long)status["observedGeneration"]!, (int)status["replicas"]!, (int)status["updatedReplicas"]!,
            (int)status["readyReplicas"]!, (int)status["availableReplicas"]!, (int)status["unavailableReplicas"]!));
        // 3 available >= 4 - 1 unavailable allowed.
        Assert.Equal("MinimumReplicasAvailable", (string?)GetCondition(status, "Available")!["reason"]);
        Assert.False(DeploymentComplete(d, status));
    }

    [Fact]
    public void DeploymentTimedOut_AfterProgressDeadlineSinceLastUpdate()
    {
        var d = Deployment(1);
        d["spec"]!["progressDeadlineSeconds"] = 60;
        var status = new JsonObject();
        var t0 = DateTimeOffset.Parse("2024-01-01T00:00:00Z");
        SetCondition(status, NewCondition("Progressing", "True", RSUpdatedReason, "x", t0));

        Assert.False(DeploymentTimedOut(d, status, t0.AddSeconds(59)));
        Assert.True(DeploymentTimedOut(d, status, t0.AddSeconds(61)));
    }
}
