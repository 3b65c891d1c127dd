namespace Anvil.Controllers.ReplicaSet;

/// <summary>
/// What a controller is waiting to see through its informers after it created or deleted children
/// (pkg/controller's UIDTrackingControllerExpectations). A key whose expectations are pending is not
/// managed again, so a stale cache cannot make it create or delete twice; expectations older than
/// <see cref="Timeout"/> count as satisfied in case an event was lost. Thread-safe.
/// </summary>
public sealed class ControllerExpectations
{
    /// <summary>ExpectationsTimeout upstream.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private readonly Dictionary<string, Entry> _entries = new();

    private sealed class Entry
    {
        public int Adds;
        public int Deletes;
        public DateTimeOffset Timestamp;
        public readonly HashSet<string> DeleteKeys = new();
    }

    public ControllerExpectations(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    /// <summary>True when nothing is pending for the key, it was never seen, or its expectations expired.</summary>
    public bool Satisfied(string key)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var e)) return true;
            if (e.Adds <= 0 && e.Deletes <= 0) return true;
            return _time.GetUtcNow() - e.Timestamp > Timeout;
        }
    }

    public void ExpectCreations(string key, int adds) => Set(key, adds, []);

    /// <summary>Expects the deletion of the given pods (keyed "namespace/name"), each observed once.</summary>
    public void ExpectDeletions(string key, IReadOnlyCollection<string> podKeys) => Set(key, 0, podKeys);

    private void Set(string key, int adds, IReadOnlyCollection<string> deleteKeys)
    {
        lock (_gate)
        {
            var e = new Entry { Adds = adds, Deletes = deleteKeys.Count, Timestamp = _time.GetUtcNow() };
            foreach (var k in deleteKeys) e.DeleteKeys.Add(k);
            _entries[key] = e;
        }
    }

    public void CreationObserved(string key) => Lower(key, 1, 0);

    /// <summary>A deletion seen (or given up on); counted only once per pod key.</summary>
    public void DeletionObserved(string key, string podKey)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var e) || !e.DeleteKeys.Remove(podKey)) return;
            e.Deletes--;
        }
    }

    /// <summary>Lowers pending counts by hand (creations skipped or failed).</summary>
    public void Lower(string key, int adds, int deletes)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(key, out var e)) return;
            e.Adds -= adds;
            e.Deletes -= deletes;
        }
    }

    public void Delete(string key)
    {
        lock (_gate) _entries.Remove(key);
    }

    /// <summary>Pending (adds, deletes) for a key, for tests and logs.</summary>
    public (int Adds, int Deletes) Pending(string key)
    {
        lock (_gate) return _entries.TryGetValue(key, out var e) ? (e.Adds, e.Deletes) : (0, 0);
    }
}
