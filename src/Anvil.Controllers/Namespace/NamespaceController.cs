using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.Namespace;

/// <summary>
/// Empties namespaces that are being deleted (pkg/controller/namespace): deletes every namespaced object
/// in them, and once nothing is left removes the "kubernetes" finalizer through <c>/finalize</c> and
/// deletes the namespace for good.
/// </summary>
public sealed class NamespaceController : Controller
{
    public const string KubernetesFinalizer = "kubernetes";
    private readonly KubeClient _client;
    private readonly DiscoveryClient _discovery;
    private readonly Informer _namespaces;

    public override string Name => "namespace";

    public NamespaceController(KubeClient client, ILogger log, InformerFactory? informers = null) : base(log)
    {
        informers ??= new InformerFactory(client, log);
        _client = client;
        _discovery = new DiscoveryClient(client);
        _namespaces = informers.For(ResourceRef.Namespaces);
        _namespaces.Added += ns => Enqueue(ns);
        _namespaces.Updated += (_, ns) => Enqueue(ns);
    }

    protected override IEnumerable<Informer> Informers => [_namespaces];

    private void Enqueue(JsonObject ns)
    {
        if (ObjectMeta.IsDeleting(ns)) Queue.Add(ObjectMeta.Name(ns));
    }

    protected override async Task ReconcileAsync(string key, CancellationToken ct)
    {
        var ns = _namespaces.Get(key);
        if (ns == null || !ObjectMeta.IsDeleting(ns)) return;
        var finalizers = (ns["spec"]?["finalizers"] as JsonArray ?? []).Select(f => (string?)f).OfType<string>().ToList();
        if (finalizers.Contains(KubernetesFinalizer))
        {
            var remaining = await DeleteContentAsync(key, ct).ConfigureAwait(false);
            if (remaining > 0)
            {
                // Pods terminating or objects held by finalizers: look again shortly.
                Queue.AddAfter(key, TimeSpan.FromSeconds(2));
                return;
            }
            var finalized = (JsonObject)ns.DeepClone();
            var spec = finalized["spec"] as JsonObject ?? new JsonObject();
            finalized["spec"] = spec;
            spec["finalizers"] = new JsonArray(finalizers.Where(f => f != KubernetesFinalizer).Select(f => (JsonNode?)JsonValue.Create(f)).ToArray());
            await _client.UpdateAsync(ResourceRef.Namespaces, "", key, finalized, "finalize", ct).ConfigureAwait(false);
        }
        try
        {
            await _client.DeleteAsync(ResourceRef.Namespaces, "", key, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
        Log.LogInformation("controller=namespace namespace={Namespace} deleted", key);
    }

    /// <summary>Deletes what is in the namespace; returns how many objects were still there.</summary>
    private async Task<int> DeleteContentAsync(string ns, CancellationToken ct)
    {
        var remaining = 0;
        foreach (var r in await _discovery.ServerResourcesAsync(ct).ConfigureAwait(false))
        {
            if (!r.Ref.Namespaced || !r.Supports("list") || !r.Supports("delete")) continue;
            var list = await _client.ListAsync(r.Ref, ns, "", ct).ConfigureAwait(false);
            var items = (list["items"] as JsonArray ?? []).OfType<JsonObject>().ToList();
            if (items.Count == 0) continue;
            remaining += items.Count;
            if (r.Supports("deletecollection"))
            {
                await _client.DeleteCollectionAsync(r.Ref, ns, ct).ConfigureAwait(false);
                continue;
            }
            foreach (var item in items)
            {
                try { await _client.DeleteAsync(r.Ref, ns, ObjectMeta.Name(item), ct: ct).ConfigureAwait(false); }
                catch (ApiException e) when (e.IsNotFound) { }
            }
        }
        return remaining;
    }
}
