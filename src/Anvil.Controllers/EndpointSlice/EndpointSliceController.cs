using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Client.Events;
using Anvil.Controllers.Endpoints;
using Anvil.Controllers.ReplicaSet;
using Anvil.Machinery.Meta;
using Anvil.Machinery.Selectors;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.EndpointSlice;

/// <summary>
/// Keeps the EndpointSlices of every Service with a selector (pkg/controller/endpointslice): slices labelled
/// kubernetes.io/service-name and managed-by endpointslice-controller.k8s.io, owned by the Service, carrying
/// each selected pod's IP with ready/serving/terminating, nodeName and targetRef, and the service ports
/// resolved against the pods. Stored slices are reused for the same port set; surplus ones are deleted.
/// </summary>
public sealed class EndpointSliceController : Controller
{
    public const string Component = "endpoint-slice-controller";
    public static readonly ResourceRef EndpointSlices = new("discovery.k8s.io", "v1", "endpointslices", true);

    private readonly KubeClient _client;
    private readonly Informer _services;
    private readonly Informer _pods;
    private readonly Informer _slices;
    // Slices created per service key that the informer has not delivered yet (the endpointSliceTracker's job upstream):
    // reconciling before they arrive would create them twice.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (string[] Names, DateTime At)> _created = new();

    public override string Name => "endpointslice";
    public EventRecorder Recorder { get; }

    public EndpointSliceController(KubeClient client, ILogger log, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        Recorder = new EventRecorder(client, Component, log);
        _services = informers.For(Workloads.Services);
        _pods = informers.For(Workloads.Pods);
        _slices = informers.For(EndpointSlices, "", "labelSelector=" + Uri.EscapeDataString(EndpointSliceBuilder.ManagedByLabel + "=" + EndpointSliceBuilder.ControllerName));
        ServiceSelectors.EnqueueOnChanges(_services, _pods, Queue);
        _slices.Added += EnqueueServiceOf;
        _slices.Updated += (_, s) => EnqueueServiceOf(s);
        _slices.Deleted += EnqueueServiceOf;
    }

    protected override IEnumerable<Informer> Informers => [_services, _pods, _slices];

    private void EnqueueServiceOf(JsonObject slice)
    {
        if ((string?)ObjectMeta.Labels(slice)?[EndpointSliceBuilder.ServiceNameLabel] is { Length: > 0 } svc)
            Queue.Add(ObjectMeta.Namespace(slice) + "/" + svc);
    }



    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var slash = key.IndexOf('/');
        var (ns, name) = (key[..slash], key[(slash + 1)..]);
        if (_created.TryGetValue(key, out var pending))
        {
            // Bounded: a slice deleted before the informer saw it would otherwise hold the key forever.
            if (pending.Names.Any(n => _slices.Get(ns + "/" + n) == null) && DateTime.UtcNow - pending.At < TimeSpan.FromSeconds(10))
            {
                Queue.AddAfter(key, TimeSpan.FromMilliseconds(100));
                return;
            }
            _created.TryRemove(key, out _);
        }
        var created = new List<string>();
        var owned = _slices.List()
            .Where(s => ObjectMeta.Namespace(s) == ns && (string?)ObjectMeta.Labels(s)?[EndpointSliceBuilder.ServiceNameLabel] == name)
            .OrderBy(ObjectMeta.Name, StringComparer.Ordinal).ToList();
        var svc = _services.Get(key);
        // A deleted Service's slices go with it through the garbage collector (owner references); without a
        // selector or as ExternalName, it has none of ours.
        if (svc == null) return;
        if ((string?)svc["spec"]?["type"] == "ExternalName" || ServiceSelectors.Selector(svc) is not { } selector)
        {
            foreach (var s in owned) await DeleteAsync(ns, ObjectMeta.Name(s), ct).ConfigureAwait(false);
            return;
        }

        var pods = _pods.List().Where(p => ObjectMeta.Namespace(p) == ns && selector.Matches(ObjectMeta.Labels(p)));
        var labels = EndpointSliceBuilder.Labels(svc);
        var unused = owned.ToList();
        foreach (var body in EndpointSliceBuilder.DesiredBodies(svc, pods))
        {
            var portsKey = EndpointSliceBuilder.PortsKey(body);
            // An unchanged slice first, then any with the same ports, then any at all.
            var reuse = unused.FirstOrDefault(s => EndpointSliceBuilder.Matches(s, body, labels))
                ?? unused.FirstOrDefault(s => EndpointSliceBuilder.PortsKey(s) == portsKey)
                ?? unused.FirstOrDefault();
            if (reuse != null)
            {
                unused.Remove(reuse);
                if (EndpointSliceBuilder.Matches(reuse, body, labels)) continue;
                var updated = (JsonObject)reuse.DeepClone();
                ObjectMeta.Of(updated)["labels"] = labels.DeepClone();
                updated["addressType"] = body["addressType"]!.DeepClone();
                updated["endpoints"] = body["endpoints"]!.DeepClone();
                if (body["ports"] is { } ports) updated["ports"] = ports.DeepClone();
                else updated.Remove("ports");
                await _client.UpdateAsync(EndpointSlices, ns, ObjectMeta.Name(reuse), updated, ct: ct).ConfigureAwait(false);
                continue;
            }
            var slice = new JsonObject
            {
                ["apiVersion"] = "discovery.k8s.io/v1",
                ["kind"] = "EndpointSlice",
                ["metadata"] = new JsonObject
                {
                    ["generateName"] = GenerateName(name),
                    ["namespace"] = ns,
                    ["labels"] = labels.DeepClone(),
                    ["ownerReferences"] = new JsonArray(new JsonObject
                    {
                        ["apiVersion"] = "v1",
                        ["kind"] = "Service",
                        ["name"] = name,
                        ["uid"] = ObjectMeta.Uid(svc),
                        ["controller"] = true,
                        ["blockOwnerDeletion"] = true,
                    }),
                },
            };
            foreach (var (k, v) in body) slice[k] = v?.DeepClone();
            try
            {
                var made = await _client.CreateAsync(EndpointSlices, ns, slice, ct).ConfigureAwait(false);
                created.Add(ObjectMeta.Name(made));
                _created[key] = ([.. created], DateTime.UtcNow);
            }
            catch (ApiException e) when (ReplicaSetController.IsNamespaceTerminating(e))
            {
                return;
            }
            catch (ApiException e)
            {
                Recorder.Event(svc, EventRecorder.Warning, "FailedToUpdateEndpointSlices", $"Error updating Endpoint Slices for Service {ns}/{name}: {e.Message}");
                throw;
            }
        }
        foreach (var s in unused) await DeleteAsync(ns, ObjectMeta.Name(s), ct).ConfigureAwait(false);
    }

    /// <summary>The Service's name and a dash (the server cuts generateName bases to fit).</summary>
    public static string GenerateName(string service) => service + "-";

    private async Task DeleteAsync(string ns, string name, CancellationToken ct)
    {
        try { await _client.DeleteAsync(EndpointSlices, ns, name, ct: ct).ConfigureAwait(false); }
        catch (ApiException e) when (e.IsNotFound) { }
    }
}
