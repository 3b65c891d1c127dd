namespace Anvil.Storage.Sqlite;

/// <summary>
/// Fans committed events out to watchers. Only the writer publishes; subscribing copies the array so that
/// publishing never takes a lock. A watcher whose queue is full is closed with
/// <see cref="WatchLaggedException"/>, so a slow reader never holds up writes.
/// </summary>
internal sealed class WatchHub
{
    private readonly object _gate = new();
    private Watcher[] _watchers = [];
    private bool _closed;

    public int Count => Volatile.Read(ref _watchers).Length;

    public Watcher Subscribe(string prefix, int capacity)
    {
        var watcher = new Watcher(prefix, capacity);
        lock (_gate)
        {
            if (_closed)
            {
                watcher.Close(null);
                return watcher;
            }

            Volatile.Write(ref _watchers, [.. _watchers, watcher]);
        }

        return watcher;
    }

    public void Unsubscribe(Watcher watcher)
    {
        lock (_gate)
        {
            var index = Array.IndexOf(_watchers, watcher);
            if (index < 0)
            {
                return;
            }

            var next = new Watcher[_watchers.Length - 1];
            Array.Copy(_watchers, 0, next, 0, index);
            Array.Copy(_watchers, index + 1, next, index, next.Length - index);
            Volatile.Write(ref _watchers, next);
        }
    }

    /// <summary>Publishes one committed batch, in revision order.</summary>
    public void Publish(IReadOnlyList<WatchEvent> events)
    {
        if (events.Count == 0)
        {
            return;
        }

        foreach (var watcher in Volatile.Read(ref _watchers))
        {
            foreach (var e in events)
            {
                if (!e.Key.StartsWith(watcher.Prefix, StringComparison.Ordinal))
                {
                    continue;
                }

                if (!watcher.TryPublish(e))
                {
                    Unsubscribe(watcher);
                    watcher.Close(new WatchLaggedException());
                    break;
                }
            }
        }
    }

    /// <summary>Ends every watch normally (the store is closing) and refuses new ones.</summary>
    public void CloseAll()
    {
        Watcher[] watchers;
        lock (_gate)
        {
            _closed = true;
            watchers = _watchers;
            _watchers = [];
        }

        foreach (var watcher in watchers)
        {
            watcher.Close(null);
        }
    }
}
