using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using Microsoft.Extensions.Logging;

namespace Anvil.ApiServer.Caching;

/// <summary>
/// A watch-fed copy of one resource inside the API server (what kube-apiserver's admission plugins read from its
/// shared informers): lists through the <see cref="ResourceStore"/>, watches from the list's revision and relists
/// when the watch ends (lagged) or its revision was compacted (410). Readers get the cached objects themselves:
/// they must not change them (clone first). Objects are fully materialized before they are published, so
/// concurrent readers never race on the lazy JSON parse.
/// </summary>
public sealed class ObjectCache(ResourceStore store, ResourceDefinition resource, ILogger? log = null)
{
    private static readonly IReadOnlyList<JsonObject> Empty = [];

    private readonly Lock _gate = new();
    // namespace ("" for cluster scope) → name → object; written under _gate only.
    private readonly Dictionary<string, SortedDictionary<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    // namespace → the objects of that namespace sorted by name, rebuilt on change; read without locks.
    private volatile Dictionary<string, IReadOnlyList<JsonObject>> _lists = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision;

    public ResourceDefinition Resource => resource;

    /// <summary>Completes once the first list is in the cache.</summary>
    public Task Synced => _synced.Task;

    public bool HasSynced => _synced.Task.IsCompleted;

    /// <summary>The newest store revision the cache has seen (a list's revision or a watch event's).</summary>
    public long Revision => Interlocked.Read(ref _revision);

    /// <summary>The objects of one namespace (or of the cluster-scoped resource for ""), ordered by name.</summary>
    public IReadOnlyList<JsonObject> List(string ns) => _lists.TryGetValue(ns, out var list) ? list : Empty;

    public JsonObject? Get(string ns, string name)
    {
        lock (_gate) return _objects.TryGetValue(ns, out var byName) && byName.TryGetValue(name, out var o) ? o : null;
    }

    /// <summary>Waits until the cache has seen <paramref name="revision"/> (a write's resourceVersion) or later.</summary>
    public async Task WaitForRevisionAsync(long revision, CancellationToken ct)
    {
        while (true)
        {
            var progress = Volatile.Read(ref _progress);
            if (Revision >= revision) return;
            await progress.Task.WaitAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>List, then watch from the list's revision; relists when the watch ends. Runs until cancelled.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var list = await store.ListAsync(resource, "", new ListOptions(), ct).ConfigureAwait(false);
                Replace(list.Items);
                Advance(list.ResourceVersion);
                _synced.TrySetResult();
                failures = 0;
                var events = await store.WatchAsync(resource, "", new WatchOptions
                {
                    ResourceVersion = list.ResourceVersion.ToString(CultureInfo.InvariantCulture),
                }, ct).ConfigureAwait(false);
                await foreach (var e in events.WithCancellation(ct).ConfigureAwait(false))
                {
                    switch (e.Type)
                    {
                        case ApiWatchEvent.Added or ApiWatchEvent.Modified:
                            Put(e.Object);
                            break;
                        case ApiWatchEvent.Deleted:
                            Remove(ObjectMeta.Namespace(e.Object), ObjectMeta.Name(e.Object));
                            break;
                    }
                    Advance(e.Revision);
                }
                // The watch ended (fell behind): list again.
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (StatusError e) when (e.Code == 410)
            {
                log?.LogInformation("cache of {Resource}: watch expired, relisting", resource.Resource);
            }
            catch (Exception e)
            {
                failures++;
                log?.LogWarning(e, "cache of {Resource}: list/watch failed (attempt {Attempt})", resource.Resource, failures);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * failures)), ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private void Put(JsonObject obj)
    {
        Materialize(obj);
        var ns = ObjectMeta.Namespace(obj);
        lock (_gate)
        {
            if (!_objects.TryGetValue(ns, out var byName)) _objects[ns] = byName = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
            byName[ObjectMeta.Name(obj)] = obj;
            Publish(ns);
        }
    }

    private void Remove(string ns, string name)
    {
        lock (_gate)
        {
            if (!_objects.TryGetValue(ns, out var byName) || !byName.Remove(name)) return;
            if (byName.Count == 0) _objects.Remove(ns);
            Publish(ns);
        }
    }

    private void Replace(IReadOnlyList<JsonObject> items)
    {
        foreach (var o in items) Materialize(o);
        lock (_gate)
        {
            _objects.Clear();
            foreach (var o in items)
            {
                var ns = ObjectMeta.Namespace(o);
                if (!_objects.TryGetValue(ns, out var byName)) _objects[ns] = byName = new SortedDictionary<string, JsonObject>(StringComparer.Ordinal);
                byName[ObjectMeta.Name(o)] = o;
            }
            var lists = new Dictionary<string, IReadOnlyList<JsonObject>>(StringComparer.Ordinal);
            foreach (var (ns, byName) in _objects) lists[ns] = byName.Values.ToArray();
            _lists = lists;
        }
    }

    /// <summary>Copy-on-write of the namespace index: writes are rare, reads are on every request.</summary>
    private void Publish(string ns)
    {
        var lists = new Dictionary<string, IReadOnlyList<JsonObject>>(_lists, StringComparer.Ordinal);
        if (_objects.TryGetValue(ns, out var byName)) lists[ns] = byName.Values.ToArray();
        else lists.Remove(ns);
        _lists = lists;
    }

    private void Advance(long revision)
    {
        if (revision <= 0) return;
        long seen;
        while ((seen = Interlocked.Read(ref _revision)) < revision && Interlocked.CompareExchange(ref _revision, revision, seen) != seen)
        {
        }
        var done = Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        done.TrySetResult();
    }

    /// <summary>A parsed JsonObject builds its members on first access; doing it now keeps later reads read-only.</summary>
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var p in o) Materialize(p.Value);
                break;
            case JsonArray a:
                foreach (var item in a) Materialize(item);
                break;
        }
    }
}
