using System.Collections.Concurrent;

namespace Anvil.Controllers.Job;

/// <summary>Pod uids whose tracking finalizer this controller removed but whose update it has not seen yet, per job.</summary>
internal sealed class UidTrackingExpectations
{
    private readonly ConcurrentDictionary<string, HashSet<string>> _uids = new();

    public IReadOnlySet<string> Get(string key)
    {
        if (!_uids.TryGetValue(key, out var set)) return new HashSet<string>();
        lock (set) return set.ToHashSet();
    }

    public void Expect(string key, IEnumerable<string> uids)
    {
        var set = _uids.GetOrAdd(key, _ => []);
        lock (set) set.UnionWith(uids);
    }

    public void Observed(string key, string uid)
    {
        if (!_uids.TryGetValue(key, out var set)) return;
        lock (set) set.Remove(uid);
    }

    public void Delete(string key) => _uids.TryRemove(key, out _);
}
