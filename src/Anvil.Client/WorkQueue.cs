namespace Anvil.Client;

/// <summary>
/// A work queue with client-go's guarantees: a key is processed by one worker at a time; a key added while
/// being processed is parked and requeued on <see cref="Done"/>; bursts of adds coalesce. Failed keys come
/// back with per-key exponential backoff (5 ms doubling to 1000 s) until <see cref="Forget"/>.
/// </summary>
public sealed class WorkQueue<T> : IDisposable where T : notnull
{
    private readonly Queue<T> _queue = new();
    private readonly HashSet<T> _dirty = new();
    private readonly HashSet<T> _processing = new();
    private readonly Dictionary<T, int> _failures = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly object _gate = new();
    private readonly CancellationTokenSource _shutdown = new();

    public void Add(T item)
    {
        lock (_gate)
        {
            if (_shutdown.IsCancellationRequested || !_dirty.Add(item)) return;
            if (_processing.Contains(item)) return;
            _queue.Enqueue(item);
        }
        _signal.Release();
    }

    /// <summary>Adds after a delay (bounded by shutdown).</summary>
    public void AddAfter(T item, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(item);
            return;
        }
        _ = Task.Delay(delay, _shutdown.Token).ContinueWith(t => { if (!t.IsCanceled) Add(item); }, TaskScheduler.Default);
    }

    public void AddRateLimited(T item)
    {
        int failures;
        lock (_gate)
        {
            _failures.TryGetValue(item, out failures);
            _failures[item] = failures + 1;
        }
        var delay = TimeSpan.FromMilliseconds(Math.Min(5 * Math.Pow(2, Math.Min(failures, 30)), 1_000_000));
        AddAfter(item, delay);
    }

    public void Forget(T item)
    {
        lock (_gate) _failures.Remove(item);
    }

    /// <summary>Waits for the next key; returns false on shutdown. Call <see cref="Done"/> after processing.</summary>
    public async Task<(bool Ok, T Item)> GetAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _shutdown.Token);
        while (true)
        {
            try
            {
                await _signal.WaitAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return (false, default!);
            }
            lock (_gate)
            {
                if (_queue.Count == 0) continue;
                var item = _queue.Dequeue();
                _processing.Add(item);
                _dirty.Remove(item);
                return (true, item);
            }
        }
    }

    public void Done(T item)
    {
        var requeue = false;
        lock (_gate)
        {
            _processing.Remove(item);
            if (_dirty.Contains(item))
            {
                _queue.Enqueue(item);
                requeue = true;
            }
        }
        if (requeue) _signal.Release();
    }

    public int Length
    {
        get { lock (_gate) return _queue.Count; }
    }

    public void ShutDown() => _shutdown.Cancel();

    public void Dispose()
    {
        _shutdown.Cancel();
        _signal.Dispose();
        _shutdown.Dispose();
    }
}
