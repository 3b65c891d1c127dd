using System.Text.Json.Nodes;
using Anvil.Machinery.Quota;

namespace Anvil.Machinery.Tests;

public sealed class QuotaEvaluatorTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-01-01T00:00:00Z");

    private static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    private static string Usage(string group, string resource, string json) =>
        ResourceList.PrettyPrint(QuotaEvaluator.Usage(group, resource, Obj(json), Now));

    [Theory]
    // Requests and limits summed over containers; requests also count as cpu/memory.
    [InlineData("""{"spec":{"containers":[{"resources":{"requests":{"cpu":"100m"},"limits":{"memory":"1Gi"}}},{"resources":{"requests":{"cpu":"200m","memory":"64Mi"}}}]}}""",
        "count/pods=1,cpu=300m,limits.memory=1Gi,memory=64Mi,pods=1,requests.cpu=300m,requests.memory=64Mi")]
    // An init container larger than the app containers sets the pod's request.
    [InlineData("""{"spec":{"initContainers":[{"resources":{"requests":{"cpu":"1"}}}],"containers":[{"resources":{"requests":{"cpu":"100m"}}}]}}""",
        "count/pods=1,cpu=1,pods=1,requests.cpu=1")]
    // Sidecars (restartable init containers) add to the app containers.
    [InlineData("""{"spec":{"initContainers":[{"restartPolicy":"Always","resources":{"requests":{"cpu":"100m"}}}],"containers":[{"resources":{"requests":{"cpu":"100m"}}}]}}""",
        "count/pods=1,cpu=200m,pods=1,requests.cpu=200m")]
    // Terminal pods hold nothing but their object count.
    [InlineData("""{"spec":{"containers":[{"resources":{"requests":{"cpu":"1"}}}]},"status":{"phase":"Succeeded"}}""", "count/pods=1")]
    [InlineData("""{"spec":{"containers":[{"resources":{"requests":{"cpu":"1"}}}]},"status":{"phase":"Failed"}}""", "count/pods=1")]
    // A deleted pod past its grace period no longer counts; within it, it does.
    [InlineData("""{"metadata":{"deletionTimestamp":"2025-12-31T23:59:00Z","deletionGracePeriodSeconds":30},"spec":{"containers":[{}]}}""", "count/pods=1")]
    [InlineData("""{"metadata":{"deletionTimestamp":"2025-12-31T23:59:50Z","deletionGracePeriodSeconds":30},"spec":{"containers":[{}]}}""", "count/pods=1,pods=1")]
    public void PodUsage(string pod, string expected) => Assert.Equal(expected, Usage("", "pods", pod));

    [Theory]
    [InlineData("services", """{"spec":{"type":"LoadBalancer","ports":[{"port":80},{"port":443}]}}""", "count/services=1,services=1,services.loadbalancers=1,services.nodeports=2")]
    [InlineData("services", """{"spec":{"ports":[{"port":80}]}}""", "count/services=1,services=1,services.loadbalancers=0,services.nodeports=0")]
    [InlineData("persistentvolumeclaims", """{"spec":{"storageClassName":"fast","resources":{"requests":{"storage":"5Gi"}}}}""",
        "count/persistentvolumeclaims=1,fast.storageclass.storage.k8s.io/persistentvolumeclaims=1,fast.storageclass.storage.k8s.io/requests.storage=5Gi,persistentvolumeclaims=1,requests.storage=5Gi")]
    [InlineData("configmaps", "{}", "configmaps=1,count/configmaps=1")]
    public void CoreUsage(string resource, string obj, string expected) => Assert.Equal(expected, Usage("", resource, obj));

    [Fact]
    public void OtherKindsAreObjectCounts() => Assert.Equal("count/cronjobs.batch=1", Usage("batch", "cronjobs", "{}"));

    [Theory]
    [InlineData("count/deployments.apps", "apps", "deployments")]
    [InlineData("count/pods", "", "pods")]
    [InlineData("requests.memory", "", "pods")]
    [InlineData("services.nodeports", "", "services")]
    [InlineData("requests.storage", "", "persistentvolumeclaims")]
    [InlineData("secrets", "", "secrets")]
    public void SourceOfAQuotaResource(string name, string group, string resource) =>
        Assert.Equal((group, resource), QuotaEvaluator.SourceOf(name));

    [Theory]
    [InlineData("""["BestEffort"]""", """{"spec":{"containers":[{}]}}""", true)]
    [InlineData("""["BestEffort"]""", """{"spec":{"containers":[{"resources":{"requests":{"cpu":"1"}}}]}}""", false)]
    [InlineData("""["NotBestEffort"]""", """{"spec":{"containers":[{"resources":{"limits":{"memory":"1Gi"}}}]}}""", true)]
    [InlineData("""["Terminating"]""", """{"spec":{"activeDeadlineSeconds":60,"containers":[{}]}}""", true)]
    [InlineData("""["NotTerminating"]""", """{"spec":{"activeDeadlineSeconds":60,"containers":[{}]}}""", false)]
    [InlineData("""["NotTerminating","BestEffort"]""", """{"spec":{"containers":[{}]}}""", true)]
    public void Scopes(string scopes, string pod, bool matches) =>
        Assert.Equal(matches, QuotaEvaluator.MatchesScopes(Obj("{\"spec\":{\"scopes\":" + scopes + "}}"), "", "pods", Obj(pod)));

    [Fact]
    public void ScopedQuotasDoNotSelectOtherKinds() =>
        Assert.False(QuotaEvaluator.MatchesScopes(Obj("""{"spec":{"scopes":["NotTerminating"]}}"""), "", "configmaps", Obj("{}")));

    [Fact]
    public void PriorityClassScopeSelector()
    {
        var quota = Obj("""{"spec":{"scopeSelector":{"matchExpressions":[{"scopeName":"PriorityClass","operator":"In","values":["high"]}]}}}""");
        Assert.True(QuotaEvaluator.MatchesScopes(quota, "", "pods", Obj("""{"spec":{"priorityClassName":"high"}}""")));
        Assert.False(QuotaEvaluator.MatchesScopes(quota, "", "pods", Obj("""{"spec":{"priorityClassName":"low"}}""")));
    }

    [Fact]
    public void ConstraintsNameTheContainersMissingEachResource()
    {
        var pod = Obj("""{"spec":{"initContainers":[{"name":"init","resources":{"limits":{"cpu":"1","memory":"1Gi"}}}],"containers":[{"name":"b"},{"name":"a","resources":{"requests":{"cpu":"1"}}}]}}""");
        Assert.Equal("must specify limits.cpu for: a,b; limits.memory for: a,b; requests.cpu for: b,init",
            QuotaEvaluator.Constraints("", "pods", ["limits.cpu", "limits.memory", "requests.cpu", "pods"], pod));
        Assert.Null(QuotaEvaluator.Constraints("", "pods", ["pods", "count/pods"], pod));
    }

    [Fact]
    public void ResourceListComparisonReportsExceededKeys()
    {
        var used = ResourceList.Read(Obj("""{"pods":"4","requests.cpu":"500m"}"""));
        var hard = ResourceList.Read(Obj("""{"pods":"4","requests.cpu":"1"}"""));
        var (ok, exceeded) = ResourceList.LessThanOrEqual(ResourceList.Add(used, ResourceList.Read(Obj("""{"pods":"1","requests.cpu":"250m"}"""))), hard);
        Assert.False(ok);
        Assert.Equal(["pods"], exceeded);
        Assert.Equal("""{"pods":"4","requests.cpu":"500m"}""", ResourceList.ToJson(used).ToJsonString());
    }

    [Fact]
    public async Task UsageIsCalculatedFromListedObjects()
    {
        var quota = Obj("""{"spec":{"hard":{"pods":"10","requests.cpu":"4","count/deployments.apps":"2","services.nodeports":"3"}}}""");
        var pods = new List<JsonObject>
        {
            Obj("""{"spec":{"containers":[{"resources":{"requests":{"cpu":"1"}}}]}}"""),
            Obj("""{"spec":{"containers":[{"resources":{"requests":{"cpu":"2"}}}]},"status":{"phase":"Succeeded"}}"""),
        };
        var used = await QuotaUsage.CalculateAsync(quota, QuotaUsage.HardNames(quota), (g, r, _) =>
            Task.FromResult<IReadOnlyList<JsonObject>?>(r switch
            {
                "pods" => pods,
                "deployments" => [Obj("{}")],
                _ => null,
            }), Now, default);
        Assert.Equal("count/deployments.apps=1,pods=1,requests.cpu=1,services.nodeports=0", ResourceList.PrettyPrint(used));
    }
}
