using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Controllers.GarbageCollector;

/// <summary>
/// Deletes objects whose owners are gone and carries out Foreground and Orphan deletion
/// (pkg/controller/garbagecollector, reduced): it keeps an owner→dependents graph from informers over
/// every listable resource, and works per object uid.
/// </summary>
public sealed class GarbageCollector : Controller
{
    private const string Foreground = "foregroundDeletion";
    private const string Orphan = "orphan";

    private readonly KubeClient _client;
    private readonly DiscoveryClient _discovery;
    private readonly InformerFactory _informerFactory;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Node> _nodes = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _dependents = new();
    private readonly ConcurrentDictionary<ResourceRef, Informer> _informers = new();
    private readonly ConcurrentDictionary<(string ApiVersion, string Kind), ResourceRef> _kinds = new();

    private sealed record Node(ResourceRef Resource, JsonObject Object);

    public override string Name => "garbage-collector";

    /// <summary>How often new resource types (CRDs) are looked for.</summary>
    public TimeSpan RediscoveryInterval { get; init; } = TimeSpan.FromSeconds(15);

    public GarbageCollector(KubeClient client, ILogger log, InformerFactory? informers = null) : base(log)
    {
        _client = client;
        _informerFactory = informers ?? new InformerFactory(client, log);
        _discovery = new DiscoveryClient(client);
        _log = log;
    }

    protected override IEnumerable<Informer> Informers => _informers.Values;

    /// <summary>Discovers resources, starts informers for them, then runs workers; rediscovers periodically.</summary>
    public async Task StartAsync(int workers, CancellationToken ct)
    {
        var running = new List<Task>();
        await DiscoverAsync(running, ct).ConfigureAwait(false);
        foreach (var i in _informers.Values) await i.WaitForSyncAsync(ct).ConfigureAwait(false);
        foreach (var uid in _nodes.Keys) Queue.Add(uid);
        var workerTasks = Enumerable.Range(0, workers).Select(_ => RunWorkersOnlyAsync(ct)).ToList();
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(RediscoveryInterval, ct).ConfigureAwait(false);
                await DiscoverAsync(running, ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        Queue.ShutDown();
        try { await Task.WhenAll(workerTasks.Concat(running)).ConfigureAwait(false); } catch (OperationCanceledException) { }
    }

    private Task RunWorkersOnlyAsync(CancellationToken ct) => RunAsync(1, ct, startInformers: false);

    private async Task DiscoverAsync(List<Task> running, CancellationToken ct)
    {
        IReadOnlyList<ApiResource> resources;
        try
        {
            resources = await _discovery.ServerResourcesAsync(ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ApiException or HttpRequestException)
        {
            _log.LogWarning("controller=garbage-collector discovery failed: {Error}", e.Message);
            return;
        }
        foreach (var r in resources)
        {
            _kinds[(r.Ref.ApiVersion, r.Kind)] = r.Ref;
            if (!r.Supports("list") || !r.Supports("watch") || !r.Supports("delete")) continue;
            if (_informers.ContainsKey(r.Ref)) continue;
            // Only metadata is needed: what other controllers watch already is shared (AddEventHandler replays what
            // it holds), the rest is watched as metadata alone, so a configmap's data never lands in this cache.
            var informer = _informerFactory.ForMetadataOrExisting(r.Ref);
            informer.AddEventHandler(o => Observe(r.Ref, o), (_, o) => Observe(r.Ref, o), Forget);
            if (_informers.TryAdd(r.Ref, informer)) running.Add(informer.RunAsync(ct));
        }
    }

    private void Observe(ResourceRef resource, JsonObject obj)
    {
        var uid = ObjectMeta.Uid(obj);
        if (uid.Length == 0) return;
        if (_nodes.TryGetValue(uid, out var previous))
            foreach (var o in OwnerUids(previous.Object)) RemoveEdge(o, uid);
        _nodes[uid] = new Node(resource, obj);
        var owners = OwnerUids(obj).ToList();
        foreach (var o in owners) _dependents.GetOrAdd(o, _ => new()).TryAdd(uid, 0);
        if (owners.Count > 0 || ObjectMeta.IsDeleting(obj)) Queue.Add(uid);
    }

    private void Forget(JsonObject obj)
    {
        var uid = ObjectMeta.Uid(obj);
        if (!_nodes.TryRemove(uid, out _)) return;
        foreach (var o in OwnerUids(obj))
        {
            RemoveEdge(o, uid);
            Queue.Add(o); // an owner waiting in foreground deletion may now be free
        }
        if (_dependents.TryGetValue(uid, out var deps))
            foreach (var d in deps.Keys) Queue.Add(d);
    }

    private void RemoveEdge(string owner, string dependent)
    {
        if (_dependents.TryGetValue(owner, out var set)) set.TryRemove(dependent, out _);
    }

    private static IEnumerable<string> OwnerUids(JsonObject obj) =>
        ObjectMeta.OwnerReferences(obj).Select(r => (string?)r["uid"] ?? "").Where(u => u.Length > 0);

    private IReadOnlyList<Node> DependentsOf(string uid) =>
        _dependents.TryGetValue(uid, out var set)
            ? set.Keys.Select(d => _nodes.TryGetValue(d, out var n) ? n : null).OfType<Node>().ToList()
            : [];

    protected override async Task ReconcileAsync(string uid, CancellationToken ct)
    {
        if (!_nodes.TryGetValue(uid, out var node)) return;
        var obj = node.Object;
        var ns = ObjectMeta.Namespace(obj);
        var name = ObjectMeta.Name(obj);
        var finalizers = ObjectMeta.Finalizers(obj);

        if (ObjectMeta.IsDeleting(obj) && finalizers.Contains(Orphan))
        {
            foreach (var dep in DependentsOf(uid)) await RemoveOwnerReferenceAsync(dep, uid, ct).ConfigureAwait(false);
            await RemoveFinalizerAsync(node, Orphan, ct).ConfigureAwait(false);
            return;
        }
        if (ObjectMeta.IsDeleting(obj) && finalizers.Contains(Foreground))
        {
            var deps = DependentsOf(uid);
            if (deps.Count > 0)
            {
                foreach (var dep in deps.Where(d => !ObjectMeta.IsDeleting(d.Object)))
                    await DeleteAsync(dep, "Foreground", ct).ConfigureAwait(false);
                return; // their deletion events requeue this owner
            }
            await RemoveFinalizerAsync(node, Foreground, ct).ConfigureAwait(false);
            return;
        }

        // Dependents of owners that are gone, or that are going in the foreground, are deleted.
        var refs = ObjectMeta.OwnerReferences(obj).ToList();
        if (refs.Count == 0) return;
        var dangling = new List<string>();
        var ownerInForeground = false;
        foreach (var r in refs)
        {
            var ownerUid = (string?)r["uid"] ?? "";
            if (_nodes.TryGetValue(ownerUid, out var owner))
            {
                if (ObjectMeta.IsDeleting(owner.Object) && ObjectMeta.Finalizers(owner.Object).Contains(Foreground)) ownerInForeground = true;
                continue;
            }
            if (!await OwnerExistsAsync(r, ns, ownerUid, ct).ConfigureAwait(false)) dangling.Add(ownerUid);
        }
        if (ownerInForeground && !ObjectMeta.IsDeleting(obj))
        {
            await DeleteAsync(node, "Foreground", ct).ConfigureAwait(false);
        }
        else if (dangling.Count == refs.Count)
        {
            if (!ObjectMeta.IsDeleting(obj)) await DeleteAsync(node, "Background", ct).ConfigureAwait(false);
        }
        else
        {
            foreach (var d in dangling) await RemoveOwnerReferenceAsync(node, d, ct).ConfigureAwait(false);
        }
        _ = name;
    }

    /// <summary>Asks the API whether an owner not in the graph exists (the graph may lag behind).</summary>
    private async Task<bool> OwnerExistsAsync(JsonObject ownerRef, string dependentNamespace, string ownerUid, CancellationToken ct)
    {
        var apiVersion = (string?)ownerRef["apiVersion"] ?? "";
        var kind = (string?)ownerRef["kind"] ?? "";
        if (!_kinds.TryGetValue((apiVersion, kind), out var resource)) return true; // unknown kind: never guess it away
        try
        {
            var owner = await _client.GetAsync(resource, resource.Namespaced ? dependentNamespace : "", (string?)ownerRef["name"] ?? "", ct).ConfigureAwait(false);
            return ObjectMeta.Uid(owner) == ownerUid;
        }
        catch (ApiException e) when (e.IsNotFound)
        {
            return false;
        }
    }

    private async Task DeleteAsync(Node node, string propagation, CancellationToken ct)
    {
        try
        {
            await _client.DeleteAsync(node.Resource, ObjectMeta.Namespace(node.Object), ObjectMeta.Name(node.Object), propagation, ObjectMeta.Uid(node.Object), ct).ConfigureAwait(false);
            _log.LogInformation("controller=garbage-collector deleted={Resource} object={Namespace}/{Name} propagation={Propagation}",
                node.Resource.Resource, ObjectMeta.Namespace(node.Object), ObjectMeta.Name(node.Object), propagation);
        }
        catch (ApiException e) when (e.IsNotFound || e.Code == 409)
        {
        }
    }

    private async Task RemoveOwnerReferenceAsync(Node node, string ownerUid, CancellationToken ct)
    {
        var refs = ObjectMeta.OwnerReferences(node.Object).ToList();
        var kept = refs.Where(r => (string?)r["uid"] != ownerUid).Select(r => (JsonNode?)r.DeepClone()).ToArray();
        if (kept.Length == refs.Count) return;
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["ownerReferences"] = kept.Length == 0 ? null : new JsonArray(kept),
                ["uid"] = ObjectMeta.Uid(node.Object),
            },
        };
        try
        {
            await _client.PatchAsync(node.Resource, ObjectMeta.Namespace(node.Object), ObjectMeta.Name(node.Object), patch, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }

    private async Task RemoveFinalizerAsync(Node node, string finalizer, CancellationToken ct)
    {
        var remaining = ObjectMeta.Finalizers(node.Object).Where(f => f != finalizer).Select(f => (JsonNode?)JsonValue.Create(f)).ToArray();
        var patch = new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["finalizers"] = remaining.Length == 0 ? null : new JsonArray(remaining),
                ["resourceVersion"] = ObjectMeta.ResourceVersion(node.Object),
            },
        };
        try
        {
            await _client.PatchAsync(node.Resource, ObjectMeta.Namespace(node.Object), ObjectMeta.Name(node.Object), patch, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
        catch (ApiException e) when (e.IsConflict)
        {
            Queue.AddAfter(ObjectMeta.Uid(node.Object), TimeSpan.FromMilliseconds(200));
        }
    }
}
