using System.Text.Json.Nodes;
using Anvil.Controllers.Deployment;
using Anvil.Controllers.Endpoints;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.EndpointSlice;

/// <summary>
/// The pure part of the EndpointSlice controller (pkg/controller/endpointslice reconciler): which endpoints a
/// Service has, grouped by their resolved port set, and the slices (at most <see cref="MaxEndpointsPerSlice"/>
/// endpoints each) that carry them.
/// </summary>
public static class EndpointSliceBuilder
{
    public const string ServiceNameLabel = "kubernetes.io/service-name";
    public const string ManagedByLabel = "endpointslice.kubernetes.io/managed-by";
    public const string ControllerName = "endpointslice-controller.k8s.io";
    public const int MaxEndpointsPerSlice = 100;

    /// <summary>
    /// Endpoints of the selected pods grouped by port set (key: canonical JSON of the ports). Terminating pods are
    /// included (serving/terminating tell them apart); ready is false while terminating unless publishNotReadyAddresses.
    /// </summary>
    public static SortedDictionary<string, (JsonArray Ports, List<JsonObject> Endpoints)> Group(JsonObject svc, IEnumerable<JsonObject> pods)
    {
        var publishNotReady = svc["spec"]?["publishNotReadyAddresses"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        var servicePorts = (svc["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var groups = new SortedDictionary<string, (JsonArray Ports, List<JsonObject> Endpoints)>(StringComparer.Ordinal);
        foreach (var pod in pods.OrderBy(PodUtil.PodIp, StringComparer.Ordinal).ThenBy(ObjectMeta.Name, StringComparer.Ordinal))
        {
            if (!EndpointsController.ShouldPodBeInEndpoints(pod, includeTerminating: true)) continue;
            var ports = new JsonArray();
            foreach (var sp in servicePorts)
            {
                if (EndpointsController.FindPort(pod, sp) is not { } number) continue;
                var port = new JsonObject
                {
                    ["name"] = (string?)sp["name"] ?? "",
                    ["port"] = number,
                    ["protocol"] = (string?)sp["protocol"] ?? "TCP",
                };
                if ((string?)sp["appProtocol"] is { Length: > 0 } app) port["appProtocol"] = app;
                ports.Add(port);
            }
            var key = DeploymentUtil.Utf8(DeploymentUtil.CanonicalJson(ports));
            if (!groups.TryGetValue(key, out var group)) groups[key] = group = (ports, []);
            group.Endpoints.Add(Endpoint(svc, pod, publishNotReady));
        }
        return groups;
    }

    /// <summary>podToEndpoint: the pod's IP, its conditions, node and a reference back to it.</summary>
    public static JsonObject Endpoint(JsonObject svc, JsonObject pod, bool publishNotReady)
    {
        var serving = PodUtil.IsReady(pod);
        var terminating = ObjectMeta.IsDeleting(pod);
        var ep = new JsonObject
        {
            ["addresses"] = new JsonArray(PodUtil.PodIp(pod)),
            ["conditions"] = new JsonObject
            {
                ["ready"] = publishNotReady || serving && !terminating,
                ["serving"] = serving,
                ["terminating"] = terminating,
            },
        };
        if ((string?)pod["spec"]?["hostname"] is { Length: > 0 } hostname && (string?)pod["spec"]?["subdomain"] == ObjectMeta.Name(svc))
            ep["hostname"] = hostname;
        if (PodUtil.NodeName(pod) is { Length: > 0 } node) ep["nodeName"] = node;
        ep["targetRef"] = new JsonObject
        {
            ["kind"] = "Pod",
            ["namespace"] = ObjectMeta.Namespace(pod),
            ["name"] = ObjectMeta.Name(pod),
            ["uid"] = ObjectMeta.Uid(pod),
        };
        return ep;
    }

    /// <summary>The labels of a Service's slices: the Service's own (minus the two reserved ones), ours, and headless.</summary>
    public static JsonObject Labels(JsonObject svc)
    {
        var labels = new JsonObject();
        foreach (var (k, val) in ObjectMeta.Labels(svc) ?? new JsonObject())
            if (k is not (ServiceNameLabel or ManagedByLabel)) labels[k] = val?.DeepClone();
        labels[ServiceNameLabel] = ObjectMeta.Name(svc);
        labels[ManagedByLabel] = ControllerName;
        if ((string?)svc["spec"]?["clusterIP"] is null or "" or "None") labels[EndpointsController.HeadlessServiceLabel] = "";
        return labels;
    }

    /// <summary>
    /// The slice bodies (addressType, endpoints, ports) the Service should have: per port set, chunks of at most
    /// <see cref="MaxEndpointsPerSlice"/>; a Service without endpoints keeps one empty placeholder slice.
    /// </summary>
    public static List<JsonObject> DesiredBodies(JsonObject svc, IEnumerable<JsonObject> pods)
    {
        var bodies = new List<JsonObject>();
        foreach (var (_, (ports, endpoints)) in Group(svc, pods))
            for (var i = 0; i < endpoints.Count; i += MaxEndpointsPerSlice)
            {
                var body = new JsonObject
                {
                    ["addressType"] = "IPv4",
                    ["endpoints"] = new JsonArray(endpoints.Skip(i).Take(MaxEndpointsPerSlice).Select(e => (JsonNode?)e.DeepClone()).ToArray()),
                };
                if (ports.Count > 0) body["ports"] = ports.DeepClone();
                bodies.Add(body);
            }
        if (bodies.Count == 0) bodies.Add(new JsonObject { ["addressType"] = "IPv4", ["endpoints"] = new JsonArray() });
        return bodies;
    }

    /// <summary>Whether a stored slice already carries <paramref name="body"/> and <paramref name="labels"/> (pod resourceVersions ignored).</summary>
    public static bool Matches(JsonObject slice, JsonObject body, JsonObject labels)
    {
        static JsonNode? Strip(JsonNode? endpoints)
        {
            var copy = endpoints?.DeepClone() ?? new JsonArray();
            foreach (var e in (copy as JsonArray ?? []).OfType<JsonObject>()) (e["targetRef"] as JsonObject)?.Remove("resourceVersion");
            return copy;
        }
        return (string?)slice["addressType"] == (string?)body["addressType"]
            && JsonNode.DeepEquals(Strip(slice["endpoints"]), Strip(body["endpoints"]))
            && JsonNode.DeepEquals(slice["ports"] ?? new JsonArray(), body["ports"] ?? new JsonArray())
            && JsonNode.DeepEquals(ObjectMeta.Labels(slice) ?? new JsonObject(), labels);
    }

    /// <summary>A slice's port set key, to reuse stored slices for the same ports.</summary>
    public static string PortsKey(JsonObject sliceOrBody) =>
        DeploymentUtil.Utf8(DeploymentUtil.CanonicalJson(sliceOrBody["ports"] ?? new JsonArray()));
}
