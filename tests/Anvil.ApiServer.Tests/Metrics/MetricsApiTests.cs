using System.Text.Json.Nodes;
using Anvil.ApiServer.Discovery;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.Metrics;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Tests.Authentication;
using Anvil.ApiServer.Tests.Store;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Metrics;

public sealed class MetricsApiTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly MetricsUsage Sampled = new(Now.AddSeconds(-2), TimeSpan.FromSeconds(15), 200_000_000, 1_263_616);

    private StoreFixture _f = null!;
    private MetricsApi _api = null!;
    private readonly FakeStats _node1 = new();

    public async Task InitializeAsync()
    {
        _f = await StoreFixture.CreateAsync();
        _f.Catalog.AddRange(MetricsApi.Definitions());
        _api = new MetricsApi(_f.Catalog, _f.Store, _node1, new ManualTime(Now));
        await _f.Store.CreateAsync(_f.Resource("namespaces"), "", StoreFixture.Obj("""{"metadata":{"name":"other"}}"""), new WriteOptions(), default);
        foreach (var n in new[] { "node1", "node2" })
            await _f.Store.CreateAsync(_f.Resource("nodes"), "", new JsonObject { ["metadata"] = new JsonObject { ["name"] = n, ["labels"] = new JsonObject { ["kubernetes.io/hostname"] = n } } }, new WriteOptions(), default);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private ResourceDefinition Metrics(string resource) => _f.Catalog.Find("metrics.k8s.io", "v1beta1", resource)!;

    private async Task PodAsync(string ns, string name, string node, string phase, string labels = "{}", string containers = """[{"name":"app","image":"busybox"}]""")
    {
        var pods = _f.Resource("pods");
        await _f.Store.CreateAsync(pods, ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = JsonNode.Parse(labels) },
            ["spec"] = new JsonObject { ["nodeName"] = node, ["containers"] = JsonNode.Parse(containers) },
        }, new WriteOptions(), default);
        var pod = await _f.Store.GetAsync(pods, ns, name, default);
        pod["status"]!["phase"] = phase;
        await _f.Store.UpdateAsync(pods, ns, name, pod, new WriteOptions { Subresource = "status" }, default);
    }

    private VirtualReadRequest Request(string resource, string ns = "", string name = "", string labelSelector = "", string fieldSelector = "") =>
        new(Metrics(resource), ns, name, Selectors.Build(Metrics(resource), labelSelector, fieldSelector));

    [Fact]
    public async Task PodMetricsObject()
    {
        await PodAsync("ns", "web", "node1", "Running", """{"app":"web"}""", """[{"name":"app","image":"busybox"},{"name":"side","image":"busybox"}]""");
        _node1.Summary = new NodeStatsSummary(Sampled, [
            new ContainerStatsSummary("ns", "web", "side", Sampled with { NanoCores = 1_234_567, MemoryBytes = 4096 }),
            new ContainerStatsSummary("ns", "web", "app", Sampled),
        ]);
        var obj = await _api.GetAsync(Request("pods", "ns", "web"), default);
        Assert.Equal("""
            {"kind":"PodMetrics","apiVersion":"metrics.k8s.io/v1beta1","metadata":{"name":"web","namespace":"ns","creationTimestamp":"2026-03-01T12:00:00Z","labels":{"app":"web"}},"timestamp":"2026-03-01T11:59:58Z","window":"15s","containers":[{"name":"app","usage":{"cpu":"200m","memory":"1234Ki"}},{"name":"side","usage":{"cpu":"1234567n","memory":"4Ki"}}]}
            """, obj.ToJsonString());
    }

    [Fact]
    public async Task NodeMetricsObjectAndNodesWithoutAgentAreNotListed()
    {
        _node1.Summary = new NodeStatsSummary(Sampled, []);
        var items = await _api.ListAsync(Request("nodes"), default);
        var obj = Assert.Single(items);
        Assert.Equal("""
            {"kind":"NodeMetrics","apiVersion":"metrics.k8s.io/v1beta1","metadata":{"name":"node1","creationTimestamp":"2026-03-01T12:00:00Z","labels":{"kubernetes.io/hostname":"node1"}},"timestamp":"2026-03-01T11:59:58Z","window":"15s","usage":{"cpu":"200m","memory":"1234Ki"}}
            """, obj.ToJsonString());
        var e = await Assert.ThrowsAsync<StatusError>(() => _api.GetAsync(Request("nodes", name: "node2"), default));
        Assert.Equal((404, "nodemetrics.metrics.k8s.io \"node2\" not found"), (e.Code, e.Message));
        e = await Assert.ThrowsAsync<StatusError>(() => _api.GetAsync(Request("nodes", name: "nope"), default));
        Assert.Equal((404, "nodes \"nope\" not found"), (e.Code, e.Message));
    }

    [Fact]
    public async Task NodeWithoutRateYetIsNotListed()
    {
        _node1.Summary = new NodeStatsSummary(null, []);
        Assert.Empty(await _api.ListAsync(Request("nodes"), default));
    }

    [Fact]
    public async Task ListFiltersByNamespaceSelectorsPhaseAndData()
    {
        await PodAsync("ns", "a", "node1", "Running", """{"app":"x"}""");
        await PodAsync("ns", "b", "node1", "Running", """{"app":"y"}""");
        await PodAsync("ns", "pending", "node1", "Pending");
        await PodAsync("ns", "nodata", "node1", "Running");
        await PodAsync("ns", "elsewhere", "node2", "Running");
        await PodAsync("other", "c", "node1", "Running");
        _node1.Summary = new NodeStatsSummary(Sampled, [
            new ContainerStatsSummary("ns", "a", "app", Sampled),
            new ContainerStatsSummary("ns", "b", "app", Sampled),
            new ContainerStatsSummary("ns", "pending", "app", Sampled),
            new ContainerStatsSummary("other", "c", "app", Sampled),
        ]);
        static string Names(IEnumerable<JsonObject> items) => string.Join(",", items.Select(i => $"{i["metadata"]!["namespace"]}/{i["metadata"]!["name"]}"));
        Assert.Equal("ns/a,ns/b", Names(await _api.ListAsync(Request("pods", "ns"), default)));
        Assert.Equal("ns/a,ns/b,other/c", Names(await _api.ListAsync(Request("pods"), default)));
        Assert.Equal("ns/b", Names(await _api.ListAsync(Request("pods", "ns", labelSelector: "app=y"), default)));
        Assert.Equal("ns/a", Names(await _api.ListAsync(Request("pods", "", fieldSelector: "metadata.name=a"), default)));
    }

    [Fact]
    public async Task GetWithoutDataIsNotFoundOnPodMetrics()
    {
        await PodAsync("ns", "fresh", "node1", "Running");
        _node1.Summary = new NodeStatsSummary(Sampled, []);
        var e = await Assert.ThrowsAsync<StatusError>(() => _api.GetAsync(Request("pods", "ns", "fresh"), default));
        Assert.Equal((404, "podmetrics.metrics.k8s.io \"ns/fresh\" not found"), (e.Code, e.Message));
        e = await Assert.ThrowsAsync<StatusError>(() => _api.GetAsync(Request("pods", "ns", "nope"), default));
        Assert.Equal((404, "pods \"nope\" not found"), (e.Code, e.Message));
    }

    [Fact]
    public void DiscoveryListsTheGroupLikeMetricsServer()
    {
        var discovery = new DiscoveryDocuments(_f.Catalog);
        var legacy = JsonNode.Parse(discovery.ResourceList("metrics.k8s.io", "v1beta1")!)!;
        Assert.Equal("""
            {"kind":"APIResourceList","apiVersion":"v1","groupVersion":"metrics.k8s.io/v1beta1","resources":[{"name":"nodes","singularName":"","namespaced":false,"kind":"NodeMetrics","verbs":["get","list"]},{"name":"pods","singularName":"","namespaced":true,"kind":"PodMetrics","verbs":["get","list"]}]}
            """, legacy.ToJsonString());
        var groups = JsonNode.Parse(discovery.ApiGroupList())!["groups"]!.AsArray();
        Assert.Contains(groups, g => g!.ToJsonString() == """{"name":"metrics.k8s.io","versions":[{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}],"preferredVersion":{"groupVersion":"metrics.k8s.io/v1beta1","version":"v1beta1"}}""");
        foreach (var v in new[] { "apidiscovery.k8s.io/v2", "apidiscovery.k8s.io/v2beta1" })
        {
            var aggregated = JsonNode.Parse(discovery.Aggregated(false, v))!["items"]!.AsArray().Single(i => (string?)i!["metadata"]!["name"] == "metrics.k8s.io")!;
            Assert.Equal("""
                {"version":"v1beta1","resources":[{"resource":"nodes","responseKind":{"group":"metrics.k8s.io","version":"v1beta1","kind":"NodeMetrics"},"scope":"Cluster","singularResource":"","verbs":["get","list"]},{"resource":"pods","responseKind":{"group":"metrics.k8s.io","version":"v1beta1","kind":"PodMetrics"},"scope":"Namespaced","singularResource":"","verbs":["get","list"]}],"freshness":"Current"}
                """, aggregated["versions"]!.AsArray().Single()!.ToJsonString());
        }
    }

    [Fact]
    public void TableSumsContainers()
    {
        var pod = StoreFixture.Obj("""{"metadata":{"name":"web"},"window":"15s","containers":[{"name":"a","usage":{"cpu":"200m","memory":"1Mi"}},{"name":"b","usage":{"cpu":"1234567n","memory":"1Mi"}}]}""");
        Assert.Equal(["Name", "cpu", "memory", "Window"], MetricsTablePrinter.Instance.Columns.Select(c => c.Name));
        Assert.Equal(["web", "201234567n", "2Mi", "15s"], MetricsTablePrinter.Instance.Cells(pod, Now));
    }

    /// <summary>A kubelet on node1 only (node2 has none).</summary>
    private sealed class FakeStats : INodeStats
    {
        public NodeStatsSummary Summary { get; set; } = new(null, []);

        public Task<NodeStatsSummary?> SummaryAsync(string nodeName, CancellationToken ct) => Task.FromResult(nodeName == "node1" ? Summary : null);
    }
}
