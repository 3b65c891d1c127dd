using System.Collections.Concurrent;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Admission.Webhooks;

/// <summary>
/// The webhooks of one configuration kind, read from the store per request (a single range read of a usually
/// empty prefix) so a configuration applies from the moment it is stored; each configuration is parsed once per
/// resourceVersion. Configurations are ordered by name, webhooks in their configuration's order, as upstream.
/// </summary>
public sealed class WebhookConfigurationSource(Func<ResourceStore> store, Func<ResourceCatalog> catalog, string resource)
{
    public const string Group = "admissionregistration.k8s.io";

    private readonly ConcurrentDictionary<string, (string ResourceVersion, IReadOnlyList<Webhook> Webhooks)> _parsed = new(StringComparer.Ordinal);

    public async Task<IReadOnlyList<Webhook>> WebhooksAsync(CancellationToken ct)
    {
        var def = catalog().Find(Group, "v1", resource);
        if (def == null) return [];
        var list = await store().ListAsync(def, "", new ListOptions(), ct).ConfigureAwait(false);
        if (list.Items.Count == 0)
        {
            if (!_parsed.IsEmpty) _parsed.Clear();
            return [];
        }
        var result = new List<Webhook>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var config in list.Items.OrderBy(ObjectMeta.Name, StringComparer.Ordinal))
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
