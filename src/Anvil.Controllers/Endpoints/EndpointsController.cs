using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.Endpoints;

/// <summary>
/// Keeps one Endpoints object per Service with a selector (pkg/controller/endpoint): the IPs of the
/// selected pods, ready ones in <c>addresses</c> and the others in <c>notReadyAddresses</c>, with each
/// service port resolved against the pod (a number, or a named container port). Pods without an IP yet
/// are left out, as are finished pods and, unless publishNotReadyAddresses, terminating ones.
/// </summary>
public sealed class EndpointsController : Controller
{
    public const string Component = "endpoint-controller";
    public const string HeadlessServiceLabel = "service.kubernetes.io/headless";

    private readonly KubeClient _client;
    private readonly Informer _services;
    private readonly Informer _pods;
    private readonly Informer _endpoints;

    public override string Name => "endpoint";
    public EventRecorder Recorder { get; }

    public EndpointsController(KubeClient client, ILogger log, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        Recorder = new EventRecorder(client, Component, log);
        _services = informers.For(Workloads.Services);
        _pods = informers.For(Workloads.Pods);
        _endpoints = informers.For(Workloads.Endpoints);
        ServiceSelectors.EnqueueOnChanges(_services, _pods, Queue);
        // Endpoints left behind by services deleted while we were not running are found on the first list only
        // (checkLeftoverEndpoints); later, Endpoints without a Service are someone else's.
        _endpoints.Added += e => { if (!_endpoints.HasSynced) Queue.Add(Informer.KeyOf(e)); };
        _endpoints.Deleted += e => Queue.Add(Informer.KeyOf(e));
    }

    protected override IEnumerable<Informer> Informers => [_services, _pods, _endpoints];



    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/');
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        var svc = _services.Get(key);
        if (svc == null)
        {
            // Leader-election records live in Endpoints without a Service: never ours to delete.
            if (_endpoints.Get(key) is { } stray && ObjectMeta.Annotations(stray)?["control-plane.alpha.kubernetes.io/leader"] != null) return;
            try { await _client.DeleteAsync(Workloads.Endpoints, ns, name, ct: ct).ConfigureAwait(false); }
            catch (ApiException e) when (e.IsNotFound) { }
            return;
        }
        if ((string?)svc["spec"]?["type"] == "ExternalName") return;
        if (ServiceSelectors.Selector(svc) is not { } selector) return;

        var subsets = ComputeSubsets(svc, _pods.List().Where(p => ObjectMeta.Namespace(p) == ns && selector.Matches(ObjectMeta.Labels(p))));
        var current = _endpoints.Get(key);
        var labels = (ObjectMeta.Labels(svc)?.DeepClone() as JsonObject) ?? new JsonObject();
        var clusterIp = (string?)svc["spec"]?["clusterIP"] ?? "";
        if (clusterIp is "" or "None") labels[HeadlessServiceLabel] = "";
        if (current != null && SubsetsEqual(current["subsets"], subsets) && JsonNode.DeepEquals(ObjectMeta.Labels(current) ?? new JsonObject(), labels)) return;

        var endpoints = current?.DeepClone() as JsonObject ?? new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Endpoints",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        };
        var meta = ObjectMeta.Of(endpoints);
        if (labels.Count > 0) meta["labels"] = labels;
        else meta.Remove("labels");
        if (subsets.Count > 0) endpoints["subsets"] = subsets;
        else endpoints.Remove("subsets");
        try
        {
            if (current == null) await _client.CreateAsync(Workloads.Endpoints, ns, endpoints, ct).ConfigureAwait(false);
            else await _client.UpdateAsync(Workloads.Endpoints, ns, name, endpoints, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (current == null && ReplicaSetController.IsNamespaceTerminating(e))
        {
        }
        catch (ApiException e) when (current == null && e.IsAlreadyExists)
        {
            // Our cache has not seen it yet; its add event brings us back.
            Queue.AddAfter(key, TimeSpan.FromMilliseconds(200));
        }
        catch (ApiException e)
        {
            Recorder.Event(endpoints, EventRecorder.Warning, current == null ? "FailedToCreateEndpoint" : "FailedToUpdateEndpoint",
                current == null ? $"Failed to create endpoint for service {ns}/{name}: {e.Message}" : $"Failed to update endpoint {ns}/{name}: {e.Message}");
            throw;
        }
    }

    /// <summary>The repacked subsets for a service over the pods its selector picked.</summary>
    public static JsonArray ComputeSubsets(JsonObject svc, IEnumerable<JsonObject> pods)
    {
        var publishNotReady = svc["spec"]?["publishNotReadyAddresses"] is JsonValue v && v.TryGetValue<bool>(out var b) && b;
        var servicePorts = (svc["spec"]?["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var headless = (string?)svc["spec"]?["clusterIP"] == "None";
        var raw = new List<JsonObject>();
        foreach (var pod in pods)
        {
            if (!ShouldPodBeInEndpoints(pod, publishNotReady)) continue;
            var address = new JsonObject { ["ip"] = PodUtil.PodIp(pod) };
            if ((string?)pod["spec"]?["hostname"] is { Length: > 0 } hostname
                && (string?)pod["spec"]?["subdomain"] == ObjectMeta.Name(svc) && ObjectMeta.Namespace(pod) == ObjectMeta.Namespace(svc))
                address["hostname"] = hostname;
            if (PodUtil.NodeName(pod) is { Length: > 0 } node) address["nodeName"] = node;
            address["targetRef"] = new JsonObject
            {
                ["kind"] = "Pod",
                ["namespace"] = ObjectMeta.Namespace(pod),
                ["name"] = ObjectMeta.Name(pod),
                ["uid"] = ObjectMeta.Uid(pod),
            };
            var ready = publishNotReady || PodUtil.IsReady(pod);
            if (servicePorts.Count == 0)
            {
                // Headless services may have no ports at all.
                if (headless) raw.Add(Subset(address, null, ready));
                continue;
            }
            foreach (var sp in servicePorts)
            {
                if (FindPort(pod, sp) is not { } number) continue;
                var port = new JsonObject { ["port"] = number, ["protocol"] = (string?)sp["protocol"] ?? "TCP" };
                if ((string?)sp["name"] is { Length: > 0 } portName) port = new JsonObject { ["name"] = portName, ["port"] = number, ["protocol"] = (string?)sp["protocol"] ?? "TCP" };
                if ((string?)sp["appProtocol"] is { Length: > 0 } app) port["appProtocol"] = app;
                raw.Add(Subset(address, port, ready));
            }
        }
        return EndpointSubsets.Repack(raw);
    }

    private static JsonObject Subset(JsonObject address, JsonObject? port, bool ready)
    {
        var ss = new JsonObject { [ready ? "addresses" : "notReadyAddresses"] = new JsonArray(address.DeepClone()) };
        if (port != null) ss["ports"] = new JsonArray(port);
        return ss;
    }

    /// <summary>endpointsliceutil.ShouldPodBeInEndpoints: has an IP, is not finished, and is not terminating (unless tolerated).</summary>
    public static bool ShouldPodBeInEndpoints(JsonObject pod, bool includeTerminating)
    {
        if (PodUtil.Phase(pod) is "Succeeded" or "Failed") return false;
        if (PodUtil.PodIp(pod).Length == 0) return false;
        return includeTerminating || !ObjectMeta.IsDeleting(pod);
    }

    /// <summary>podutil.FindPort: a numeric targetPort as is; a named one from the containers' ports with the same protocol.</summary>
    public static int? FindPort(JsonObject pod, JsonObject servicePort)
    {
        var target = servicePort["targetPort"] ?? servicePort["port"];
        if (target is JsonValue v && v.TryGetValue<int>(out var number)) return number;
        var name = (string?)target;
        var protocol = (string?)servicePort["protocol"] ?? "TCP";
        var spec = pod["spec"];
        var containers = (spec?["containers"] as JsonArray ?? []).OfType<JsonObject>()
            .Concat((spec?["initContainers"] as JsonArray ?? []).OfType<JsonObject>().Where(c => (string?)c["restartPolicy"] == "Always"));
        foreach (var c in containers)
            foreach (var p in (c["ports"] as JsonArray ?? []).OfType<JsonObject>())
                if ((string?)p["name"] == name && ((string?)p["protocol"] ?? "TCP") == protocol)
                    return (int?)p["containerPort"];
        return null;
    }

    /// <summary>Equal subsets, ignoring the pods' resourceVersions in targetRef.</summary>
    private static bool SubsetsEqual(JsonNode? stored, JsonArray computed)
    {
        static JsonNode Strip(JsonNode? n)
        {
            var copy = n?.DeepClone() ?? new JsonArray();
            foreach (var ss in (copy as JsonArray ?? []).OfType<JsonObject>())
                foreach (var list in new[] { "addresses", "notReadyAddresses" })
                    foreach (var a in (ss[list] as JsonArray ?? []).OfType<JsonObject>())
                        (a["targetRef"] as JsonObject)?.Remove("resourceVersion");
            return copy;
        }
        return JsonNode.DeepEquals(Strip(stored), Strip(computed));
    }
}
