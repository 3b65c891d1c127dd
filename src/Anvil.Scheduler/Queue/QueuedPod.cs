namespace Anvil.Scheduler.Queue;

/// <summary>A pod waiting in (or taken from) the scheduling queue, with its attempts for backoff.</summary>
internal sealed class QueuedPod(string key, string uid, int priority, DateTimeOffset added)
{
    public string Key { get; } = key;
    public string Uid { get; set; } = uid;
    public int Priority { get; set; } = priority;
    /// <summary>When it last entered the queue (first add or last failure): backoff counts from here.</summary>
    public DateTimeOffset Timestamp { get; set; } = added;
    public int Attempts { get; set; }
    internal QueueState State { get; set; }
    /// <summary>The pod changed while being scheduled: if this attempt fails, retry after backoff rather than park it.</summary>
    internal bool UpdatedInFlight { get; set; }
    /// <summary>Bumped on every move so stale heap entries are recognised and skipped.</summary>
    internal long Version { get; set; }
}
