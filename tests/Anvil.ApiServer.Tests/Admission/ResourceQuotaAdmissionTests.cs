using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Admission;

public sealed class ResourceQuotaAdmissionTests : IAsyncLifetime
{
    private AdmissionFixture _f = null!;

    public async Task InitializeAsync() => _f = await AdmissionFixture.CreateAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    private Task QuotaAsync(string name, string hard, string extra = "") =>
        _f.CreateAsync("resourcequotas", "ns", $$$"""{"metadata":{"name":"{{{name}}}"},"spec":{"hard":{{{hard}}}{{{extra}}}}}""");

    private async Task<string> UsedAsync(string name) => (await _f.GetAsync("resourcequotas", "ns", name))["status"]?["used"]?.ToJsonString() ?? "null";

    [Fact]
    public async Task FifthPodExceedsAQuotaOfFour()
    {
        await QuotaAsync("q", """{"pods":"4"}""");
        for (var i = 1; i <= 4; i++) await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod($"p{i}"));
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p5")));
        Assert.Equal(403, e.Code);
        Assert.Equal("pods \"p5\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=4, limited: pods=4", e.Message);
        Assert.Equal("""{"pods":"4"}""", await UsedAsync("q"));
    }

    [Fact]
    public async Task ACreateOfAnExistingNameIsNotCharged()
    {
        await QuotaAsync("q", """{"pods":"2"}""");
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p"));
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p")));
        Assert.Equal("AlreadyExists", e.Reason);
        Assert.Equal("""{"pods":"1"}""", await UsedAsync("q"));
    }

    [Fact]
    public async Task ConcurrentCreatesNeverOverAdmit()
    {
        await QuotaAsync("q", """{"pods":"4"}""");
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            try
            {
                await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod($"c{i}"));
                return true;
            }
            catch (StatusError e) when (e.Code == 403)
            {
                return false;
            }
        }));
        Assert.Equal(4, results.Count(ok => ok));
        Assert.Equal(4, (await _f.Store.ListAsync(_f.Resource("pods"), "ns", new ListOptions(), default)).Items.Count);
        Assert.Equal("""{"pods":"4"}""", await UsedAsync("q"));
    }

    [Fact]
    public async Task AQuotaChangedBehindTheCacheIsReadAgainBeforeCharging()
    {
        await QuotaAsync("q", """{"pods":"2"}""");
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p1"));
        // Another writer charges the second pod below the fence: the cache may still show one pod used.
        var quotas = _f.Resource("resourcequotas");
        var raw = new ResourceStore(_f.Unfenced, new Anvil.ApiServer.Admission.AdmissionChain([]), TimeProvider.System);
        var quota = await raw.GetAsync(quotas, "ns", "q", default);
        quota["status"] = new JsonObject { ["hard"] = new JsonObject { ["pods"] = "2" }, ["used"] = new JsonObject { ["pods"] = "2" } };
        await raw.UpdateAsync(quotas, "ns", "q", quota, new WriteOptions { Subresource = "status", User = AdmissionFixture.Admin }, default);

        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p2")));
        Assert.Equal("pods \"p2\" is forbidden: exceeded quota: q, requested: pods=1, used: pods=2, limited: pods=2", e.Message);
    }

    [Fact]
    public async Task ComputeQuotaNeedsEveryContainerToStateIt()
    {
        await QuotaAsync("compute", """{"limits.cpu":"2","limits.memory":"1Gi","requests.cpu":"1"}""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", """
            {"metadata":{"name":"x"},"spec":{"containers":[
              {"name":"a","image":"busybox","resources":{"limits":{"cpu":"100m"}}},
              {"name":"b","image":"busybox"}]}}
            """));
        Assert.Equal("pods \"x\" is forbidden: failed quota: compute: must specify limits.cpu for: b; limits.memory for: a,b; requests.cpu for: b", e.Message);
    }

    [Fact]
    public async Task ComputeUsageIsChargedAndChecked()
    {
        await QuotaAsync("compute", """{"requests.cpu":"1","limits.memory":"1Gi"}""");
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("a", """{"requests":{"cpu":"600m"},"limits":{"memory":"512Mi"}}"""));
        Assert.Equal("""{"limits.memory":"512Mi","requests.cpu":"600m"}""", await UsedAsync("compute"));
        var e = await Assert.ThrowsAsync<StatusError>(() =>
            _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("b", """{"requests":{"cpu":"500m"},"limits":{"memory":"768Mi"}}""")));
        Assert.Equal("pods \"b\" is forbidden: exceeded quota: compute, requested: limits.memory=768Mi,requests.cpu=500m, used: limits.memory=512Mi,requests.cpu=600m, limited: limits.memory=1Gi,requests.cpu=1", e.Message);
    }

    [Fact]
    public async Task AQuotaWithoutStatusCountsExistingObjectsFirst()
    {
        for (var i = 0; i < 2; i++) await _f.CreateAsync("configmaps", "ns", $$$"""{"metadata":{"name":"cm{{{i}}}"}}""");
        await QuotaAsync("q", """{"configmaps":"2"}""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("configmaps", "ns", """{"metadata":{"name":"cm2"}}"""));
        Assert.Equal("configmaps \"cm2\" is forbidden: exceeded quota: q, requested: configmaps=1, used: configmaps=2, limited: configmaps=2", e.Message);
    }

    [Fact]
    public async Task CountQuotasCoverAnyResource()
    {
        await QuotaAsync("q", """{"count/deployments.apps":"1","count/configmaps":"5"}""");
        const string deployment = """
            {"metadata":{"name":"NAME"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}
            """;
        await _f.CreateAsync("deployments", "ns", deployment.Replace("NAME", "d1"), "apps");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("deployments", "ns", deployment.Replace("NAME", "d2"), "apps"));
        Assert.Equal("deployments.apps \"d2\" is forbidden: exceeded quota: q, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1", e.Message);
        Assert.Equal("""{"count/configmaps":"0","count/deployments.apps":"1"}""", await UsedAsync("q"));
    }

    [Fact]
    public async Task ServicesCountNodePortsAndLoadBalancers()
    {
        await QuotaAsync("q", """{"services.nodeports":"1","services.loadbalancers":"0","services":"10"}""");
        await _f.CreateAsync("services", "ns", """{"metadata":{"name":"plain"},"spec":{"ports":[{"port":80}]}}""");
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("services", "ns",
            """{"metadata":{"name":"np"},"spec":{"type":"NodePort","ports":[{"name":"a","port":80},{"name":"b","port":81}]}}"""));
        Assert.Equal("services \"np\" is forbidden: exceeded quota: q, requested: services.nodeports=2, used: services.nodeports=0, limited: services.nodeports=1", e.Message);
    }

    [Fact]
    public async Task ScopedQuotasOnlyCountTheirPods()
    {
        await QuotaAsync("besteffort", """{"pods":"1"}""", ""","scopes":["BestEffort"]""");
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("be"));
        // A pod with requests is not BestEffort: the quota does not apply.
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("burstable", """{"requests":{"cpu":"10m"}}"""));
        var e = await Assert.ThrowsAsync<StatusError>(() => _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("be2")));
        Assert.Equal("pods \"be2\" is forbidden: exceeded quota: besteffort, requested: pods=1, used: pods=1, limited: pods=1", e.Message);
    }

    [Fact]
    public async Task DryRunChecksWithoutCharging()
    {
        await QuotaAsync("q", """{"pods":"1"}""");
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("dry"), options: new WriteOptions { User = AdmissionFixture.Admin, DryRun = true });
        Assert.Equal("null", await UsedAsync("q"));
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("real"));
        Assert.Equal("""{"pods":"1"}""", await UsedAsync("q"));
    }

    [Fact]
    public async Task PodUpdatesAreNotCharged()
    {
        await QuotaAsync("q", """{"pods":"1"}""");
        await _f.CreateAsync("pods", "ns", AdmissionFixture.Pod("p"));
        var pod = await _f.GetAsync("pods", "ns", "p");
        pod["metadata"]!["labels"] = new JsonObject { ["x"] = "y" };
        await _f.Store.UpdateAsync(_f.Resource("pods"), "ns", "p", pod, new WriteOptions { User = AdmissionFixture.Admin }, default);
        Assert.Equal("""{"pods":"1"}""", await UsedAsync("q"));
    }
}
