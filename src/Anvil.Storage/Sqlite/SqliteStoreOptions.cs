namespace Anvil.Storage.Sqlite;

/// <summary>Tuning of a <see cref="SqliteStore"/>; the defaults suit the API server.</summary>
public sealed class SqliteStoreOptions
{
    /// <summary>Most writes committed in one transaction (one fsync).</summary>
    public int MaxWriteBatch { get; init; } = 256;

    /// <summary>Connections for concurrent reads.</summary>
    public int ReadConnections { get; init; } = 4;

    /// <summary>Live events a watcher may have queued before it is closed with <see cref="WatchLaggedException"/>.</summary>
    public int WatchQueueCapacity { get; init; } = 10_000;

    /// <summary>Revisions compacted per step; each step is one short transaction among the writes.</summary>
    public int CompactionStep { get; init; } = 500;

    /// <summary>Least time between two WAL checkpoints.</summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>History rows read per query while a watch replays.</summary>
    internal int WatchReplayPage { get; init; } = 512;
}
