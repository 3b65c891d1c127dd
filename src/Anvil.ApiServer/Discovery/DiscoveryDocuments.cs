using System.Text.Json.Nodes;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Serialization;

namespace Anvil.ApiServer.Discovery;

/// <summary>
/// Discovery documents built from the catalog: aggregated (apidiscovery.k8s.io v2 and v2beta1) for
/// <c>/api</c> and <c>/apis</c>, and the legacy APIVersions, APIGroupList, APIGroup and APIResourceList.
/// Documents are cached as bytes and rebuilt when the catalog changes.
/// </summary>
public sealed class DiscoveryDocuments
{
    private readonly ResourceCatalog _catalog;
    private readonly Dictionary<string, byte[]> _cache = new();
    private readonly object _gate = new();

    public DiscoveryDocuments(ResourceCatalog catalog)
    {
        _catalog = catalog;
        _catalog.Changed += () => { lock (_gate) _cache.Clear(); };
    }

    /// <summary>Aggregated discovery for the core group (<paramref name="core"/>) or all named groups.</summary>
    public byte[] Aggregated(bool core, string apiVersion) =>
        Cached($"agg:{core}:{apiVersion}", () =>
        {
            var items = new JsonArray();
            foreach (var (group, versions) in _catalog.Groups())
            {
                if ((group.Length == 0) != core) continue;
                var vs = new JsonArray();
                foreach (var v in versions) vs.Add(new JsonObject { ["version"] = v, ["resources"] = AggregatedResources(group, v), ["freshness"] = "Current" });
                items.Add(new JsonObject { ["metadata"] = new JsonObject { ["name"] = group, ["creationTimestamp"] = null }, ["versions"] = vs });
            }
            return new JsonObject { ["kind"] = "APIGroupDiscoveryList", ["apiVersion"] = apiVersion, ["metadata"] = new JsonObject(), ["items"] = items };
        });

    private JsonArray AggregatedResources(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var d in _catalog.All.Where(d => d.Group == group && d.Version == version).OrderBy(d => d.Resource, StringComparer.Ordinal))
        {
            var r = new JsonObject
            {
                ["resource"] = d.Resource,
                ["responseKind"] = Gvk(d.Group, d.Version, d.Kind),
                ["scope"] = d.Namespaced ? "Namespaced" : "Cluster",
                ["singularResource"] = d.Singular,
            };
            if (d.ShortNames.Count > 0) r["shortNames"] = Strings(d.ShortNames);
            if (d.Categories.Count > 0) r["categories"] = Strings(d.Categories);
            r["verbs"] = Strings(d.Verbs);
            if (d.Subresources.Count > 0)
            {
                var subs = new JsonArray();
                foreach (var s in d.Subresources)
                    subs.Add(new JsonObject { ["subresource"] = s.Name, ["responseKind"] = Gvk(s.Group, s.Version, s.Kind), ["verbs"] = Strings(s.Verbs) });
                r["subresources"] = subs;
            }
            resources.Add(r);
        }
        return resources;
    }

    /// <summary>Legacy <c>/api</c>.</summary>
    public byte[] ApiVersions(string serverAddress) => Cached("api:" + serverAddress, () => new JsonObject
    {
        ["kind"] = "APIVersions",
        ["versions"] = Strings(_catalog.Groups().Where(g => g.Group.Length == 0).SelectMany(g => g.Versions).ToList()),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    });

    /// <summary>Legacy <c>/apis</c>.</summary>
    public byte[] ApiGroupList() => Cached("apis", () =>
    {
        var groups = new JsonArray();
        foreach (var (group, versions) in _catalog.Groups())
            if (group.Length > 0) groups.Add(ApiGroupObject(group, versions));
        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    });

    /// <summary>Legacy <c>/apis/&lt;group&gt;</c>, or null when the group is not served.</summary>
    public byte[]? ApiGroup(string group)
    {
        var entry = _catalog.Groups().FirstOrDefault(g => g.Group == group);
        if (entry.Versions == null || group.Length == 0) return null;
        return Cached("group:" + group, () =>
        {
            var obj = ApiGroupObject(group, entry.Versions);
            var result = new JsonObject { ["kind"] = "APIGroup", ["apiVersion"] = "v1" };
            foreach (var (k, v) in obj) result[k] = v?.DeepClone();
            return result;
        });
    }

    private static JsonObject ApiGroupObject(string group, IReadOnlyList<string> versions)
    {
        var vs = new JsonArray();
        foreach (var v in versions) vs.Add(new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v });
        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = vs,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    /// <summary>Legacy <c>/api/v1</c> or <c>/apis/&lt;group&gt;/&lt;version&gt;</c>, or null when not served.</summary>
    public byte[]? ResourceList(string group, string version)
    {
        var defs = _catalog.All.Where(d => d.Group == group && d.Version == version).OrderBy(d => d.Resource, StringComparer.Ordinal).ToList();
        if (defs.Count == 0) return null;
        return Cached($"rl:{group}/{version}", () =>
        {
            var resources = new JsonArray();
            foreach (var d in defs)
            {
                var r = new JsonObject
                {
                    ["name"] = d.Resource,
                    ["singularName"] = d.Singular,
                    ["namespaced"] = d.Namespaced,
                    ["kind"] = d.Kind,
                    ["verbs"] = Strings(d.Verbs),
                };
                if (d.ShortNames.Count > 0) r["shortNames"] = Strings(d.ShortNames);
                if (d.Categories.Count > 0) r["categories"] = Strings(d.Categories);
                resources.Add(r);
                foreach (var s in d.Subresources)
                {
                    var sr = new JsonObject { ["name"] = $"{d.Resource}/{s.Name}", ["singularName"] = "", ["namespaced"] = d.Namespaced };
                    // A subresource served from another group (pods/eviction → policy/v1) must say so, or drain falls back to DELETE.
                    if (s.Group != d.Group || s.Version != d.Version)
                    {
                        sr["group"] = s.Group;
                        sr["version"] = s.Version;
                    }
                    sr["kind"] = s.Kind;
                    sr["verbs"] = Strings(s.Verbs);
                    resources.Add(sr);
                }
            }
            return new JsonObject
            {
                ["kind"] = "APIResourceList",
                ["apiVersion"] = "v1",
                ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
                ["resources"] = resources,
            };
        });
    }

    private byte[] Cached(string key, Func<JsonObject> build)
    {
        lock (_gate)
        {
            if (_cache.TryGetValue(key, out var bytes)) return bytes;
        }
        var built = KubeJson.ToBytes(build());
        lock (_gate) _cache[key] = built;
        return built;
    }

    private static JsonObject Gvk(string group, string version, string kind) =>
        new() { ["group"] = group, ["version"] = version, ["kind"] = kind };

    private static JsonArray Strings(IEnumerable<string> values) => new(values.Select(v => (JsonNode?)JsonValue.Create(v)).ToArray());
}
