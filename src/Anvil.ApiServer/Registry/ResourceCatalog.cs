using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// The served resources: built-ins plus custom resources as CRDs are established. Readers get an
/// immutable snapshot; writers replace it atomically, so request paths take no locks.
/// </summary>
public sealed class ResourceCatalog
{
    private sealed record Snapshot(
        IReadOnlyList<ResourceDefinition> All,
        Dictionary<(string Group, string Version, string Resource), ResourceDefinition> ByResource,
        Dictionary<GroupVersionKind, ResourceDefinition> ByKind);

    private Snapshot _snapshot = new([], new(), new());
    private readonly object _writeGate = new();

    /// <summary>Raised after the set of served resources changed (discovery and OpenAPI caches drop their copies).</summary>
    public event Action? Changed;

    public IReadOnlyList<ResourceDefinition> All => _snapshot.All;

    public ResourceDefinition? Find(string group, string version, string resource) =>
        _snapshot.ByResource.TryGetValue((group, version, resource), out var d) ? d : null;

    public ResourceDefinition? FindKind(GroupVersionKind gvk) => _snapshot.ByKind.TryGetValue(gvk, out var d) ? d : null;

    /// <summary>The groups in serving order (core first, then as registered), each with its versions.</summary>
    public IReadOnlyList<(string Group, IReadOnlyList<string> Versions)> Groups()
    {
        var result = new List<(string, IReadOnlyList<string>)>();
        foreach (var g in _snapshot.All.Select(d => d.Group).Distinct())
            result.Add((g, _snapshot.All.Where(d => d.Group == g).Select(d => d.Version).Distinct().ToList()));
        return result;
    }

    public void AddRange(IEnumerable<ResourceDefinition> definitions)
    {
        lock (_writeGate)
        {
            var list = _snapshot.All.ToList();
            foreach (var d in definitions)
            {
                list.RemoveAll(x => x.Group == d.Group && x.Version == d.Version && x.Resource == d.Resource);
                list.Add(d);
            }
            Publish(list);
        }
    }

    public void RemoveWhere(Func<ResourceDefinition, bool> predicate)
    {
        lock (_writeGate)
        {
            var list = _snapshot.All.Where(d => !predicate(d)).ToList();
            if (list.Count != _snapshot.All.Count) Publish(list);
        }
    }

    private void Publish(List<ResourceDefinition> list)
    {
        var byResource = list.ToDictionary(d => (d.Group, d.Version, d.Resource));
        var byKind = new Dictionary<GroupVersionKind, ResourceDefinition>();
        foreach (var d in list) byKind.TryAdd(d.Gvk, d);
        _snapshot = new Snapshot(list, byResource, byKind);
        Changed?.Invoke();
    }
}
