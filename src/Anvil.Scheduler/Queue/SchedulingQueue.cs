namespace Anvil.Scheduler.Queue;

/// <summary>
/// The scheduling queue (internal/queue.PriorityQueue, reduced): an active queue ordered by priority then
/// arrival; a backoff queue where failed pods wait 1 s doubling to 10 s per attempt; and the unschedulable
/// pods, which stay until a cluster event (a node added or changed, a bound pod gone) moves them back, or
/// five minutes pass. A pod that fails while such an event happened during its cycle goes straight to backoff.
/// </summary>
internal sealed class SchedulingQueue(TimeProvider time)
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxInUnschedulable = TimeSpan.FromMinutes(5);

    private readonly object _gate = new();
    private readonly Dictionary<string, QueuedPod> _pods = new(StringComparer.Ordinal);
    private readonly PriorityQueue<(QueuedPod Pod, long Version), (int, long)> _active = new();
    private readonly PriorityQueue<(QueuedPod Pod, long Version), DateTimeOffset> _backoff = new();
    private readonly SemaphoreSlim _signal = new(0);
    private long _sequence, _schedulingCycle, _moveRequestCycle = -1;

    public int ActiveCount { get { lock (_gate) return _pods.Values.Count(p => p.State == QueueState.Active); } }
    public int BackoffCount { get { lock (_gate) return _pods.Values.Count(p => p.State == QueueState.Backoff); } }
    public int UnschedulableCount { get { lock (_gate) return _pods.Values.Count(p => p.State == QueueState.Unschedulable); } }

    public static TimeSpan BackoffDuration(int attempts)
    {
        var d = InitialBackoff;
        for (var i = 1; i < attempts && d < MaxBackoff; i++) d *= 2;
        return d > MaxBackoff ? MaxBackoff : d;
    }

    /// <summary>A new or changed unscheduled pod: queued now (an unschedulable one gets another chance).</summary>
    public void Add(string key, string uid, int priority)
    {
        lock (_gate)
        {
            if (_pods.TryGetValue(key, out var existing))
            {
                existing.Uid = uid;
                existing.Priority = priority;
                if (existing.State == QueueState.Unschedulable) MoveLocked(existing, time.GetUtcNow());
                else if (existing.State == QueueState.InFlight) existing.UpdatedInFlight = true;
                return;
            }
            var pod = new QueuedPod(key, uid, priority, time.GetUtcNow());
            _pods[key] = pod;
            PushActiveLocked(pod);
        }
    }

    public void Delete(string key)
    {
        lock (_gate) _pods.Remove(key);
    }

    public bool Contains(string key)
    {
        lock (_gate) return _pods.ContainsKey(key);
    }

    /// <summary>Waits for the next pod; its attempts are counted now. Returns the cycle number with it.</summary>
    public async Task<(QueuedPod Pod, long Cycle)> PopAsync(CancellationToken ct)
    {
        while (true)
        {
            await _signal.WaitAsync(ct).ConfigureAwait(false);
            lock (_gate)
            {
                while (_active.TryDequeue(out var entry, out _))
                {
                    var (pod, version) = entry;
                    if (pod.Version != version || pod.State != QueueState.Active || !_pods.TryGetValue(pod.Key, out var current) || current != pod) continue;
                    pod.State = QueueState.InFlight;
                    pod.UpdatedInFlight = false;
                    pod.Attempts++;
                    return (pod, ++_schedulingCycle);
                }
            }
        }
    }

    /// <summary>The pod was bound (or needs no scheduling any more): it leaves the queue.</summary>
    public void Done(QueuedPod pod)
    {
        lock (_gate)
            if (_pods.TryGetValue(pod.Key, out var current) && current == pod) _pods.Remove(pod.Key);
    }

    /// <summary>No node fit: park the pod until something changes (or back off if something already did).</summary>
    public void AddUnschedulable(QueuedPod pod, long cycle)
    {
        lock (_gate)
        {
            if (!_pods.TryGetValue(pod.Key, out var current) || current != pod) return;
            pod.Timestamp = time.GetUtcNow();
            if (_moveRequestCycle >= cycle || pod.UpdatedInFlight) PushBackoffLocked(pod);
            else
            {
                pod.State = QueueState.Unschedulable;
                pod.Version++;
            }
        }
    }

    /// <summary>An error (binding failed): retry after the pod's backoff.</summary>
    public void AddBackoff(QueuedPod pod)
    {
        lock (_gate)
        {
            if (!_pods.TryGetValue(pod.Key, out var current) || current != pod) return;
            pod.Timestamp = time.GetUtcNow();
            PushBackoffLocked(pod);
        }
    }

    /// <summary>A cluster event that may make unschedulable pods fit: every one goes to backoff or active.</summary>
    public void MoveAllToActiveOrBackoff()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            foreach (var pod in _pods.Values)
                if (pod.State == QueueState.Unschedulable) MoveLocked(pod, now);
            _moveRequestCycle = _schedulingCycle;
        }
    }

    /// <summary>Moves pods whose backoff ended to active, and pods unschedulable for too long back; call periodically.</summary>
    public void Flush()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            while (_backoff.TryPeek(out var entry, out var until) && until <= now)
            {
                _backoff.Dequeue();
                var (pod, version) = entry;
                if (pod.Version != version || pod.State != QueueState.Backoff || !_pods.TryGetValue(pod.Key, out var current) || current != pod) continue;
                PushActiveLocked(pod);
            }
            foreach (var pod in _pods.Values)
                if (pod.State == QueueState.Unschedulable && now - pod.Timestamp > MaxInUnschedulable) MoveLocked(pod, now);
        }
    }

    private void MoveLocked(QueuedPod pod, DateTimeOffset now)
    {
        if (pod.Timestamp + BackoffDuration(pod.Attempts) > now) PushBackoffLocked(pod);
        else PushActiveLocked(pod);
    }

    private void PushBackoffLocked(QueuedPod pod)
    {
        pod.State = QueueState.Backoff;
        pod.Version++;
        _backoff.Enqueue((pod, pod.Version), pod.Timestamp + BackoffDuration(pod.Attempts));
    }

    private void PushActiveLocked(QueuedPod pod)
    {
        pod.State = QueueState.Active;
        pod.Version++;
        _active.Enqueue((pod, pod.Version), (-pod.Priority, ++_sequence));
        _signal.Release();
    }
}
