using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Caching;

/// <summary>
/// The API server's own watch-fed caches (namespaces, service accounts, limit ranges, quotas, webhook
/// configurations), found by resource. <see cref="Find"/> answers only once a cache has synced, so a caller
/// without one (unit tests, a cache not yet listed) reads the store as before.
/// </summary>
public sealed class ObjectCaches
{
    /// <summary>How long a write waits for the cache of its resource to see it before returning anyway.</summary>
    public static readonly TimeSpan FenceTimeout = TimeSpan.FromSeconds(5);

    private volatile ObjectCache[] _caches = [];

    public IReadOnlyList<ObjectCache> All => _caches;

    /// <summary>Adds a cache; call <see cref="ObjectCache.RunAsync"/> (or <see cref="RunAsync"/>) to fill it.</summary>
    public ObjectCache Add(ObjectCache cache)
    {
        _caches = [.. _caches, cache];
        return cache;
    }

    /// <summary>Runs every cache until cancelled.</summary>
    public Task RunAsync(CancellationToken ct) => Task.WhenAll(_caches.Select(c => c.RunAsync(ct)));

    public Task Synced => Task.WhenAll(_caches.Select(c => c.Synced));

    /// <summary>The synced cache of a resource, or null.</summary>
    public ObjectCache? Find(string group, string resource)
    {
        foreach (var c in _caches)
            if (c.Resource.Resource == resource && c.Resource.Group == group) return c.HasSynced ? c : null;
        return null;
    }

    /// <summary>
    /// Called after a write of <paramref name="key"/> committed at <paramref name="revision"/>: when a cache serves
    /// that key, waits (bounded) until the cache has the write, so a request sent after the write's response sees
    /// it (upstream's informers lag instead; a webhook configuration or quota must apply from its response on).
    /// </summary>
    public async Task FenceAsync(string key, long revision, CancellationToken ct)
    {
        foreach (var c in _caches)
        {
            if (!key.StartsWith(c.Resource.KeyPrefix, StringComparison.Ordinal)) continue;
            if (!c.HasSynced || c.Revision >= revision) return;
            try
            {
                await c.WaitForRevisionAsync(revision, ct).WaitAsync(FenceTimeout, ct).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The cache is relisting or stuck: the write stands; readers catch up later.
            }
            return;
        }
    }
}
