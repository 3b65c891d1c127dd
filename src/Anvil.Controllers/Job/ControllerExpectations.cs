using System.Collections.Concurrent;

namespace Anvil.Controllers.Job;

/// <summary>
/// Creations and deletions a controller has asked for but not yet seen in its informer
/// (pkg/controller ControllerExpectations): until they show up (or 5 minutes pass) the cache is too old
/// to decide how many pods to make.
/// </summary>
internal sealed class ControllerExpectations(TimeProvider time)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private sealed class Entry
    {
        public int Adds;
        public int Deletes;
        public DateTimeOffset Set;
    }

    private readonly ConcurrentDictionary<string, Entry> _entries = new();

    public bool Satisfied(string key)
    {
        if (!_entries.TryGetValue(key, out var e)) return true;
        lock (e) return (e.Adds <= 0 && e.Deletes <= 0) || time.GetUtcNow() - e.Set > Timeout;
    }

    public void ExpectCreations(string key, int n) => Set(key, n, 0);

    public void ExpectDeletions(string key, int n) => Set(key, 0, n);

    private void Set(string key, int adds, int deletes) =>
        _entries[key] = new Entry { Adds = adds, Deletes = deletes, Set = time.GetUtcNow() };

    public void CreationObserved(string key) => Lower(key, 1, 0);

    public void DeletionObserved(string key) => Lower(key, 0, 1);

    private void Lower(string key, int adds, int deletes)
    {
        if (!_entries.TryGetValue(key, out var e)) return;
        lock (e)
        {
            e.Adds -= adds;
            e.Deletes -= deletes;
        }
    }

    public void Delete(string key) => _entries.TryRemove(key, out _);
}
