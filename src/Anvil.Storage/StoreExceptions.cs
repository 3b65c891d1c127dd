namespace Anvil.Storage;

/// <summary>Create of a key that exists.</summary>
public sealed class KeyExistsException(string key) : Exception($"key exists: {key}")
{
    public string Key { get; } = key;
}

/// <summary>Guarded write whose expected revision is not the key's current one.</summary>
public sealed class RevisionConflictException(string key, KeyValue? current) : Exception($"revision conflict: {key}")
{
    public string Key { get; } = key;
    public KeyValue? Current { get; } = current;
}

/// <summary>Read or watch from a revision that compaction has removed.</summary>
public sealed class CompactedException(long requested, long compacted)
    : Exception($"required revision {requested} has been compacted (oldest available: {compacted})")
{
    public long Requested { get; } = requested;
    public long Compacted { get; } = compacted;
}

/// <summary>A watcher fell too far behind and was dropped; the client should re-list.</summary>
public sealed class WatchLaggedException() : Exception("watch fell behind and was closed");
