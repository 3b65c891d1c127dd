using System.Collections.Concurrent;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Instrumentation;
using Anvil.Storage;

namespace Anvil.ApiServer.Instrumentation;

/// <summary>
/// <c>apiserver_storage_objects</c>: the objects stored per resource, counted every poll period as kube-apiserver does
/// (<c>--etcd-count-metric-poll-period</c>, one minute), not on each scrape, so a scraper cannot make the server walk
/// its keys. Labelled <c>configmaps</c> for the core group and <c>deployments.apps</c> otherwise; -1 when a count failed.
/// </summary>
public sealed class StorageObjectCounts(ResourceCatalog catalog, IStore store)
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public void Register(MetricsRegistry registry) => registry.Register(new CallbackFamily("apiserver_storage_objects",
        "Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.",
        "gauge", ["resource"], () => _counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => (new[] { kv.Key }, (object)(double)kv.Value))));

    /// <summary>Counts now, then every <paramref name="period"/> until cancelled.</summary>
    public async Task RunAsync(TimeSpan period, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await RefreshAsync(ct).ConfigureAwait(false);
            await Task.Delay(period, ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// One count per stored resource (the versions of a resource share its keys; create-only reviews store nothing);
    /// forgets resources no longer served.
    /// </summary>
    public async Task RefreshAsync(CancellationToken ct)
    {
        var resources = catalog.All.Where(d => d.Verbs.Contains("list")).GroupBy(d => d.KeyPrefix)
            .Select(g => (Prefix: g.Key, Label: Label(g.First()))).ToList();
        foreach (var (prefix, label) in resources)
        {
            try
            {
                _counts[label] = await store.CountAsync(prefix, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _counts[label] = -1;
            }
        }
        foreach (var gone in _counts.Keys.Except(resources.Select(r => r.Label)).ToList()) _counts.TryRemove(gone, out _);
    }

    private static string Label(ResourceDefinition d) => d.Group.Length == 0 ? d.Resource : $"{d.Resource}.{d.Group}";
}
