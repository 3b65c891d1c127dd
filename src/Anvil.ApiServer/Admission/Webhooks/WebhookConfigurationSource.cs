using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Caching;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>
/// The webhooks of one configuration kind: from the server's cache of the configurations when it has one (a write
/// of a configuration returns only once the cache has it, so it applies from its response on), else read from the
/// store per request. Each configuration is parsed once per resourceVersion; with the cache, the whole list is
/// kept until the cache's list changes. Configurations are ordered by name, webhooks in their configuration's
/// order, as upstream.
/// </summary>
public sealed class WebhookConfigurationSource(Func<ResourceStore> store, Func<ResourceCatalog> catalog, string resource, ObjectCaches? caches = null)
{
    public const string Group = "admissionregistration.k8s.io";

    private readonly ConcurrentDictionary<string, (string ResourceVersion, IReadOnlyList<Webhook> Webhooks)> _parsed = new(StringComparer.Ordinal);
    private volatile Tuple<IReadOnlyList<JsonObject>, IReadOnlyList<Webhook>>? _fromCache;

    public async Task<IReadOnlyList<Webhook>> WebhooksAsync(CancellationToken ct)
    {
        if (caches?.Find(Group, resource) is { } cache)
        {
            var configs = cache.List("");
            if (configs.Count == 0) return [];
            // The cache publishes a new list object on every change: the same list means the same webhooks.
            if (_fromCache is { } known && ReferenceEquals(known.Item1, configs)) return known.Item2;
            var webhooks = Parse(configs);
            _fromCache = Tuple.Create(configs, webhooks);
            return webhooks;
        }
        var def = catalog().Find(Group, "v1", resource);
        if (def == null) return [];
        var list = await store().ListAsync(def, "", new ListOptions(), ct).ConfigureAwait(false);
        return Parse(list.Items);
    }

    private IReadOnlyList<Webhook> Parse(IReadOnlyList<JsonObject> items)
    {
        if (items.Count == 0)
        {
            if (!_parsed.IsEmpty) _parsed.Clear();
            return [];
        }
        var result = new List<Webhook>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var config in items.OrderBy(ObjectMeta.Name, StringComparer.Ordinal))
        {
            var uid = ObjectMeta.Uid(config);
            var rv = ObjectMeta.ResourceVersion(config);
            seen.Add(uid);
            if (!_parsed.TryGetValue(uid, out var entry) || entry.ResourceVersion != rv)
                _parsed[uid] = entry = (rv, Webhook.FromConfiguration(config).ToList());
            result.AddRange(entry.Webhooks);
        }
        foreach (var stale in _parsed.Keys.Where(k => !seen.Contains(k)).ToList()) _parsed.TryRemove(stale, out _);
        return result;
    }
}
