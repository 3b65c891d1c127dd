using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.Client;

/// <summary>
/// A list+watch cache of one resource (client-go's SharedInformer, reduced): lists, then watches from the
/// list's resourceVersion, relisting when the watch ends with 410 or breaks. Handlers only get notified;
/// they should enqueue keys, not do work. Keys are "namespace/name" (or "name" for cluster scope).
/// One informer may serve several controllers (<see cref="InformerFactory"/>): cached objects and the objects
/// handlers get are shared, so nobody may mutate them (clone first).
/// </summary>
public sealed class Informer
{
    private readonly KubeClient _client;
    private readonly ResourceRef _resource;
    private readonly string _namespace;
    private readonly ILogger _log;
    private readonly string _query;
    private readonly string _accept;
    private readonly ConcurrentDictionary<string, JsonObject> _cache = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Held while an event updates the cache and runs the handlers, and while AddEventHandler replays the cache,
    // so a handler attached late sees every object exactly once before later events.
    private readonly Lock _dispatch = new();
    private readonly Lock _start = new();
    private Task? _run;
    private readonly bool _stripManagedFields;

    public event Action<JsonObject>? Added;
    public event Action<JsonObject, JsonObject>? Updated;
    public event Action<JsonObject>? Deleted;

    /// <param name="query">Extra list/watch parameters, e.g. "fieldSelector=spec.nodeName%3Dn" (the kubelet's view).</param>
    /// <param name="metadataOnly">
    /// Caches PartialObjectMetadata (the objects' metadata alone), as client-go's metadata informers do: for
    /// controllers that need no more, it keeps each object's data, spec and status out of the watch and the cache.
    /// </param>
    /// <param name="stripManagedFields">
    /// Drops <c>metadata.managedFields</c> as objects enter the cache (kube-controller-manager's informers do since 1.28):
    /// no controller reads them, they are often the larger part of an object's metadata, and an update sent without
    /// them keeps the stored ones.
    /// </param>
    public Informer(KubeClient client, ResourceRef resource, ILogger log, string ns = "", string query = "", bool metadataOnly = false, bool stripManagedFields = false)
    {
        MetadataOnly = metadataOnly;
        _stripManagedFields = stripManagedFields;
        _accept = metadataOnly ? KubeClient.PartialObjectMetadataAccept : "application/json";
        _query = query;
        _client = client;
        _resource = resource;
        _namespace = ns;
        _log = log;
    }

    public ResourceRef Resource => _resource;
    public bool MetadataOnly { get; }
    public bool HasSynced => _synced.Task.IsCompleted;
    public Task WaitForSyncAsync(CancellationToken ct) => _synced.Task.WaitAsync(ct);

    public static string KeyOf(JsonObject obj)
    {
        var ns = ObjectMeta.Namespace(obj);
        return ns.Length > 0 ? $"{ns}/{ObjectMeta.Name(obj)}" : ObjectMeta.Name(obj);
    }

    /// <summary>A cached object by key; callers must not mutate it (clone first).</summary>
    public JsonObject? Get(string key) => _cache.TryGetValue(key, out var o) ? o : null;

    public IReadOnlyCollection<JsonObject> List() => _cache.Values.ToList();

    /// <summary>
    /// Attaches handlers and calls <paramref name="added"/> for every object already cached (client-go's
    /// AddEventHandler): for a shared informer that may be running already. Handlers attached with the events
    /// before the informer starts need not use this.
    /// </summary>
    public void AddEventHandler(Action<JsonObject>? added, Action<JsonObject, JsonObject>? updated = null, Action<JsonObject>? deleted = null)
    {
        lock (_dispatch)
        {
            if (added != null)
            {
                foreach (var obj in _cache.Values) added(obj);
                Added += added;
            }
            if (updated != null) Updated += updated;
            if (deleted != null) Deleted += deleted;
        }
    }

    /// <summary>
    /// Runs until cancelled: list, watch, relist with capped backoff on failures. The first call starts the
    /// loop; later calls (other controllers sharing this informer) get the same task, and their token is not used.
    /// </summary>
    public Task RunAsync(CancellationToken ct)
    {
        lock (_start) return _run ??= LoopAsync(ct);
    }

    private async Task LoopAsync(CancellationToken ct)
    {
        var backoff = TimeSpan.FromMilliseconds(200);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var rv = await RelistAsync(ct).ConfigureAwait(false);
                _synced.TrySetResult();
                backoff = TimeSpan.FromMilliseconds(200);
                while (!ct.IsCancellationRequested)
                {
                    await foreach (var (type, obj) in _client.WatchAsync(_resource, _namespace, rv, 300, ct, _query, _accept).ConfigureAwait(false))
                    {
                        rv = ObjectMeta.ResourceVersion(obj);
                        Apply(type, obj);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ApiException e) when (e.IsGone)
            {
                // History compacted under us: start over from a fresh list.
            }
            catch (Exception e) when (e is HttpRequestException or IOException or ApiException or System.Text.Json.JsonException)
            {
                _log.LogWarning("informer resource={Resource} error={Error} retry_in={Backoff}", _resource.Resource, e.Message, backoff);
                try { await Task.Delay(backoff, ct).ConfigureAwait(false); } catch (OperationCanceledException) { return; }
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    private async Task<string> RelistAsync(CancellationToken ct)
    {
        var list = await _client.ListAsync(_resource, _namespace, _query, _accept, ct).ConfigureAwait(false);
        var seen = new HashSet<string>();
        foreach (var item in (list["items"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var obj = (JsonObject)item.DeepClone();
            var key = KeyOf(obj);
            seen.Add(key);
            Apply(_cache.ContainsKey(key) ? "MODIFIED" : "ADDED", obj);
        }
        foreach (var key in _cache.Keys.Where(k => !seen.Contains(k)).ToList())
        {
            lock (_dispatch)
            {
                if (_cache.TryRemove(key, out var gone)) Notify(Deleted, gone);
            }
        }
        return (string?)list["metadata"]?["resourceVersion"] ?? "";
    }

    /// <summary>
    /// Calls each handler on its own: one that throws is logged and does not keep the others (other controllers
    /// sharing this informer) from the event, nor stop the watch.
    /// </summary>
    private void Notify(Action<JsonObject>? handlers, JsonObject obj)
    {
        if (handlers == null) return;
        foreach (var h in handlers.GetInvocationList())
        {
            try { ((Action<JsonObject>)h)(obj); }
            catch (Exception e) { HandlerFailed(e); }
        }
    }

    private void Notify(Action<JsonObject, JsonObject>? handlers, JsonObject old, JsonObject obj)
    {
        if (handlers == null) return;
        foreach (var h in handlers.GetInvocationList())
        {
            try { ((Action<JsonObject, JsonObject>)h)(old, obj); }
            catch (Exception e) { HandlerFailed(e); }
        }
    }

    private void HandlerFailed(Exception e) =>
        _log.LogError("informer resource={Resource} event handler failed: {Error}", _resource.Resource, e.ToString());

    private void Apply(string type, JsonObject obj)
    {
        if (type == "BOOKMARK") return;
        if (_stripManagedFields && obj["metadata"] is JsonObject meta) meta.Remove("managedFields");
        var key = KeyOf(obj);
        lock (_dispatch)
        {
            switch (type)
            {
                case "ADDED" or "MODIFIED":
                    if (_cache.TryGetValue(key, out var old))
                    {
                        _cache[key] = obj;
                        if (ObjectMeta.ResourceVersion(old) != ObjectMeta.ResourceVersion(obj)) Notify(Updated, old, obj);
                    }
                    else
                    {
                        _cache[key] = obj;
                        Notify(Added, obj);
                    }
                    break;
                case "DELETED":
                    _cache.TryRemove(key, out _);
                    Notify(Deleted, obj);
                    break;
            }
        }
    }
}
