using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Anvil.Client;

/// <summary>
/// One <see cref="Informer"/> per (resource, namespace, query) for every controller that asks (client-go's
/// SharedInformerFactory): kube-controller-manager holds one pod watch, not one per controller. Controllers attach
/// their handlers and call <see cref="Informer.RunAsync"/> as before; the first start runs it, later ones join.
/// Its informers cache objects without managedFields, as kube-controller-manager's.
/// </summary>
public sealed class InformerFactory
{
    private readonly KubeClient _client;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<(ResourceRef Resource, string Namespace, string Query, bool MetadataOnly), Informer> _informers = new();

    public InformerFactory(KubeClient client, ILogger log)
    {
        _client = client;
        _log = log;
    }

    /// <summary>The client the informers list and watch with.</summary>
    public KubeClient Client => _client;

    /// <summary>The shared informer for this key, made on first request.</summary>
    public Informer For(ResourceRef resource, string ns = "", string query = "") => Get(resource, ns, query, false);

    /// <summary>The shared metadata-only informer of a whole resource (client-go's metadata informer factory).</summary>
    public Informer ForMetadata(ResourceRef resource) => Get(resource, "", "", true);

    /// <summary>
    /// The full informer of a whole resource when some controller asked for it already, else the metadata-only one
    /// (the garbage collector's choice upstream: no second watch of what others watch, no full copies of the rest).
    /// </summary>
    public Informer ForMetadataOrExisting(ResourceRef resource) =>
        _informers.TryGetValue((resource, "", "", false), out var full) ? full : ForMetadata(resource);

    // An Informer does nothing until started, so a losing racer's extra instance is simply dropped.
    private Informer Get(ResourceRef resource, string ns, string query, bool metadataOnly) =>
        _informers.GetOrAdd((resource, ns, query, metadataOnly), k => new Informer(_client, k.Resource, _log, k.Namespace, k.Query, k.MetadataOnly, stripManagedFields: true));
}
