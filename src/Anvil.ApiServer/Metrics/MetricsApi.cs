using System.Text.Json.Nodes;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Metrics;

/// <summary>
/// metrics.k8s.io/v1beta1 built into the API server (a real cluster serves it from metrics-server through an
/// aggregated APIService): PodMetrics and NodeMetrics computed from the kubelets' summaries (<see cref="INodeStats"/>). As in
/// metrics-server, the pods and nodes come from the API (label and field selectors apply to them), only running
/// pods with data are listed, and a get without data is NotFound on podmetrics/nodemetrics.
/// </summary>
public sealed class MetricsApi(ResourceCatalog catalog, ResourceStore store, INodeStats nodes, TimeProvider time) : IVirtualReadHandler
{
    public const string Group = "metrics.k8s.io";
    public const string Version = "v1beta1";
    public const string ApiVersion = Group + "/" + Version;

    private static readonly GroupResource s_podMetrics = new(Group, "podmetrics");
    private static readonly GroupResource s_nodeMetrics = new(Group, "nodemetrics");

    /// <summary>
    /// The two resources for the catalog, as metrics-server publishes them in discovery: verbs get and list, no
    /// singular name, kinds PodMetrics (namespaced) and NodeMetrics (cluster).
    /// </summary>
    public static IReadOnlyList<ResourceDefinition> Definitions() =>
    [
        Definition("nodes", "NodeMetrics", false),
        Definition("pods", "PodMetrics", true),
    ];

    private static ResourceDefinition Definition(string resource, string kind, bool namespaced) => new()
    {
        Group = Group,
        Version = Version,
        Resource = resource,
        Kind = kind,
        Singular = "",
        Namespaced = namespaced,
        Verbs = ["get", "list"],
        Strategy = BuiltinStrategies.For(new GroupVersionKind(Group, Version, kind)),
        Printer = MetricsTablePrinter.Instance,
        FieldSelectors = Anvil.Machinery.Selectors.FieldSelectorFields.For(Group, kind),
    };

    /// <summary>Registers pods and nodes of metrics.k8s.io with the handler.</summary>
    public void Register(ApiHandler handler)
    {
        handler.VirtualReads.Add(Group, "pods", this);
        handler.VirtualReads.Add(Group, "nodes", this);
    }

    private ResourceDefinition Core(string resource) => catalog.Find("", "v1", resource) ?? throw StatusError.InternalError($"{resource} are not served");

    public async Task<JsonObject> GetAsync(VirtualReadRequest request, CancellationToken ct)
    {
        if (request.Resource.Resource == "nodes")
        {
            var node = await store.GetAsync(Core("nodes"), "", request.Name, ct).ConfigureAwait(false);
            return (await NodeMetricsAsync([node], ct).ConfigureAwait(false)).FirstOrDefault()
                ?? throw StatusError.NotFound(s_nodeMetrics, request.Name);
        }
        var pod = await store.GetAsync(Core("pods"), request.Namespace, request.Name, ct).ConfigureAwait(false);
        return (await PodMetricsAsync([pod], ct).ConfigureAwait(false)).FirstOrDefault()
            ?? throw StatusError.NotFound(s_podMetrics, $"{request.Namespace}/{request.Name}");
    }

    public async Task<IReadOnlyList<JsonObject>> ListAsync(VirtualReadRequest request, CancellationToken ct)
    {
        var options = new ListOptions { Predicate = request.Predicate };
        if (request.Resource.Resource == "nodes")
        {
            var list = await store.ListAsync(Core("nodes"), "", options, ct).ConfigureAwait(false);
            return await NodeMetricsAsync(list.Items.OrderBy(ObjectMeta.Name, StringComparer.Ordinal).ToList(), ct).ConfigureAwait(false);
        }
        var pods = await store.ListAsync(Core("pods"), request.Namespace, options, ct).ConfigureAwait(false);
        var ordered = pods.Items.OrderBy(ObjectMeta.Namespace, StringComparer.Ordinal).ThenBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();
        return await PodMetricsAsync(ordered, ct).ConfigureAwait(false);
    }

    /// <summary>The summaries of the named nodes that answer, fetched concurrently.</summary>
    private async Task<Dictionary<string, NodeStatsSummary>> SummariesAsync(IEnumerable<string> nodeNames, CancellationToken ct)
    {
        var wanted = nodeNames.Where(n => n.Length > 0).Distinct().ToList();
        var results = await Task.WhenAll(wanted.Select(async n => (Name: n, Summary: await nodes.SummaryAsync(n, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        return results.Where(r => r.Summary != null).ToDictionary(r => r.Name, r => r.Summary!);
    }

    private async Task<List<JsonObject>> NodeMetricsAsync(IReadOnlyList<JsonObject> nodeObjects, CancellationToken ct)
    {
        var summaries = await SummariesAsync(nodeObjects.Select(ObjectMeta.Name), ct).ConfigureAwait(false);
        var result = new List<JsonObject>();
        foreach (var node in nodeObjects)
        {
            if (!summaries.TryGetValue(ObjectMeta.Name(node), out var summary) || summary.Node is not { } usage) continue;
            result.Add(new JsonObject
            {
                ["kind"] = "NodeMetrics",
                ["apiVersion"] = ApiVersion,
                ["metadata"] = Metadata(node, namespaced: false),
                ["timestamp"] = ObjectMeta.FormatTime(usage.Timestamp),
                ["window"] = MetricsFormat.Duration(usage.Window),
                ["usage"] = Usage(usage),
            });
        }
        return result;
    }

    private async Task<List<JsonObject>> PodMetricsAsync(IReadOnlyList<JsonObject> pods, CancellationToken ct)
    {
        var running = pods.Where(p => (string?)p["status"]?["phase"] == "Running").ToList();
        var summaries = await SummariesAsync(running.Select(NodeName), ct).ConfigureAwait(false);
        var result = new List<JsonObject>();
        foreach (var pod in running)
        {
            if (!summaries.TryGetValue(NodeName(pod), out var summary)) continue;
            var (ns, name) = (ObjectMeta.Namespace(pod), ObjectMeta.Name(pod));
            var byName = summary.Containers.Where(c => c.PodNamespace == ns && c.PodName == name).ToDictionary(c => c.Container);
            if (byName.Count == 0) continue;
            // In the pod spec's order; containers without data yet are left out as metrics-server does.
            var order = (pod["spec"]?["containers"] as JsonArray ?? []).Select(c => (string?)c?["name"] ?? "").ToList();
            var containers = new JsonArray();
            foreach (var c in byName.Values.OrderBy(c => order.IndexOf(c.Container) is var i && i < 0 ? int.MaxValue : i).ThenBy(c => c.Container, StringComparer.Ordinal))
                containers.Add(new JsonObject { ["name"] = c.Container, ["usage"] = Usage(c.Usage) });
            var latest = byName.Values.Select(c => c.Usage).MaxBy(u => u.Timestamp)!;
            result.Add(new JsonObject
            {
                ["kind"] = "PodMetrics",
                ["apiVersion"] = ApiVersion,
                ["metadata"] = Metadata(pod, namespaced: true),
                ["timestamp"] = ObjectMeta.FormatTime(latest.Timestamp),
                ["window"] = MetricsFormat.Duration(latest.Window),
                ["containers"] = containers,
            });
        }
        return result;
    }

    private static string NodeName(JsonObject pod) => (string?)pod["spec"]?["nodeName"] ?? "";

    /// <summary>Name, namespace, the labels of the pod or node, and creationTimestamp = now, as metrics-server sets it.</summary>
    private JsonObject Metadata(JsonObject source, bool namespaced)
    {
        var meta = new JsonObject { ["name"] = ObjectMeta.Name(source) };
        if (namespaced) meta["namespace"] = ObjectMeta.Namespace(source);
        meta["creationTimestamp"] = ObjectMeta.FormatTime(time.GetUtcNow());
        if (ObjectMeta.Labels(source) is { Count: > 0 } labels) meta["labels"] = labels.DeepClone();
        return meta;
    }

    private static JsonObject Usage(MetricsUsage u) => new()
    {
        ["cpu"] = MetricsFormat.Cpu(u.NanoCores),
        ["memory"] = MetricsFormat.Memory(u.MemoryBytes),
    };
}
