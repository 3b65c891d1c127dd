using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;
using Anvil.Storage;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// The Node authorizer's graph, reduced to the question it asks: which nodes have a pod that references a secret,
/// config map, persistent volume claim or service account (by resource, namespace and name). Upstream feeds its graph
/// from informers; this lists the pods from the store and then watches the whole store, relisting when the watch ends,
/// falls behind or was compacted. Watching every key lets it know when it has seen every revision the store had when
/// a question came, so it answers as a fresh read of the pods would.
/// </summary>
internal sealed class NodeReferenceIndex(IStore store, string podKeyPrefix)
{
    private const int ListPage = 500;

    private readonly object _gate = new();
    // Per pod (store key): its node and what it references; per referenced object: its nodes, with how many pods each.
    private readonly Dictionary<string, (string Node, List<Reference> Refs)> _pods = new(StringComparer.Ordinal);
    private readonly Dictionary<Reference, Dictionary<string, int>> _nodes = new();
    private readonly TaskCompletionSource _listed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource _progress = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _revision;
    private int _waiters;

    internal readonly record struct Reference(string Resource, string Namespace, string Name);

    /// <summary>Completes when the first list of pods is in the index.</summary>
    public Task Synced => _listed.Task;

    /// <summary>The newest store revision the index has seen.</summary>
    public long ObservedRevision => Interlocked.Read(ref _revision);

    /// <summary>Whether a pod bound to <paramref name="node"/> references the object, as of the store's current revision.</summary>
    public async ValueTask<bool> HasPathAsync(string node, string resource, string ns, string name, CancellationToken ct)
    {
        await WaitForRevisionAsync(store.CurrentRevision, ct).ConfigureAwait(false);
        lock (_gate) return _nodes.TryGetValue(new Reference(resource, ns, name), out var nodes) && nodes.ContainsKey(node);
    }

    /// <summary>Waits until the index has seen <paramref name="revision"/>.</summary>
    public async Task WaitForRevisionAsync(long revision, CancellationToken ct)
    {
        if (ObservedRevision >= revision) return;
        Interlocked.Increment(ref _waiters);
        try
        {
            while (true)
            {
                var progress = Volatile.Read(ref _progress);
                if (ObservedRevision >= revision) return;
                await progress.Task.WaitAsync(ct).ConfigureAwait(false);
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiters);
        }
    }

    /// <summary>List, then watch, until <paramref name="ct"/> is cancelled or the store is disposed.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var revision = await RelistAsync(ct).ConfigureAwait(false);
                failures = 0;
                await foreach (var e in store.WatchAsync("", revision, ct).ConfigureAwait(false))
                {
                    if (e.Key.StartsWith(podKeyPrefix, StringComparison.Ordinal))
                        lock (_gate) Put(e.Key, e.Type == WatchEventType.Delete ? null : e.Current);
                    Advance(e.Revision);
                }
                // The watch ended (it fell behind, or the store is closing): list again.
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (ObjectDisposedException)
            {
                return;
            }
            catch (Exception e) when (e is CompactedException or WatchLaggedException)
            {
            }
            catch (Exception)
            {
                failures++;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * failures)), ct).ConfigureAwait(false);
            }
        }
    }

    private async Task<long> RelistAsync(CancellationToken ct)
    {
        var items = new List<KeyValue>();
        long revision = 0;
        string? after = null;
        while (true)
        {
            var page = await store.RangeAsync(podKeyPrefix, revision, after, ListPage, ct).ConfigureAwait(false);
            revision = page.Revision;
            items.AddRange(page.Items);
            if (!page.More || page.Items.Count == 0) break;
            after = page.Items[^1].Key;
        }
        lock (_gate)
        {
            _pods.Clear();
            _nodes.Clear();
            foreach (var kv in items) Put(kv.Key, kv);
        }
        Advance(revision);
        _listed.TrySetResult();
        return revision;
    }

    /// <summary>Replaces one pod's edges (null: the pod is gone). Callers hold the gate.</summary>
    private void Put(string key, KeyValue? value)
    {
        if (_pods.Remove(key, out var old))
            foreach (var r in old.Refs) Unlink(r, old.Node);
        if (value == null) return;
        var pod = ResourceStore.Decode(value);
        var node = (string?)pod["spec"]?["nodeName"] ?? "";
        if (node.Length == 0) return; // only bound pods relate a node to anything
        var ns = ObjectMeta.Namespace(pod);
        var refs = PodReferences.Secrets(pod).Select(n => new Reference("secrets", ns, n))
            .Concat(PodReferences.ConfigMaps(pod).Select(n => new Reference("configmaps", ns, n)))
            .Concat(PodReferences.PersistentVolumeClaims(pod).Select(n => new Reference("persistentvolumeclaims", ns, n)))
            .Append(new Reference("serviceaccounts", ns, PodReferences.ServiceAccount(pod)))
            .Distinct().ToList();
        _pods[key] = (node, refs);
        foreach (var r in refs)
        {
            if (!_nodes.TryGetValue(r, out var nodes)) _nodes[r] = nodes = new Dictionary<string, int>(StringComparer.Ordinal);
            nodes[node] = nodes.GetValueOrDefault(node) + 1;
        }
    }

    private void Unlink(Reference r, string node)
    {
        if (!_nodes.TryGetValue(r, out var nodes) || !nodes.TryGetValue(node, out var count)) return;
        if (count > 1) nodes[node] = count - 1;
        else if (nodes.Remove(node) && nodes.Count == 0) _nodes.Remove(r);
    }

    private void Advance(long revision)
    {
        if (revision <= Interlocked.Read(ref _revision)) return;
        // A full fence between publishing the revision and reading the waiter count (see WaitForRevisionAsync).
        Interlocked.Exchange(ref _revision, revision);
        if (Volatile.Read(ref _waiters) == 0) return;
        Interlocked.Exchange(ref _progress, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }
}
