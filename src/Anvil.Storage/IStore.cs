namespace Anvil.Storage;

/// <summary>
/// A revisioned key-value store with one global revision, in the shape of etcd v3 as kube-apiserver uses it
/// (and as kine provides on SQL). Every successful write gets the next revision; an object's
/// <c>resourceVersion</c> is the revision of its last write. Keys look like
/// <c>/registry/&lt;group&gt;/&lt;resource&gt;/&lt;namespace&gt;/&lt;name&gt;</c>.
/// All methods are thread-safe. A write that has returned is durable (fsync'd).
/// </summary>
public interface IStore : IAsyncDisposable
{
    /// <summary>The revision of the newest write (0 for an empty store).</summary>
    long CurrentRevision { get; }

    /// <summary>The oldest revision still readable; lists or watches from before it fail with <see cref="CompactedException"/>.</summary>
    long CompactedRevision { get; }

    /// <summary>Creates a key. Throws <see cref="KeyExistsException"/> when the key exists. Returns the new revision.</summary>
    Task<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct = default);

    /// <summary>The current value of a key, or null when absent.</summary>
    Task<KeyValue?> GetAsync(string key, CancellationToken ct = default);

    /// <summary>
    /// Replaces a key's value only if its current modification revision equals <paramref name="expectedRevision"/>.
    /// Throws <see cref="KeyNotFoundException"/> when absent, <see cref="RevisionConflictException"/> (carrying the
    /// current value) when the revision differs. Returns the new revision.
    /// </summary>
    Task<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct = default);

    /// <summary>
    /// Deletes a key. With <paramref name="expectedRevision"/> &gt; 0 the delete is guarded like an update.
    /// Throws <see cref="KeyNotFoundException"/> when absent. Returns the deletion's revision and the last value.
    /// </summary>
    Task<(long Revision, KeyValue Deleted)> DeleteAsync(string key, long expectedRevision = 0, CancellationToken ct = default);

    /// <summary>
    /// Lists keys starting with <paramref name="prefix"/> in key order, as of <paramref name="revision"/>
    /// (0 = newest). Resumes after <paramref name="startAfterKey"/> when given; returns at most
    /// <paramref name="limit"/> items (0 = no limit) and whether more remain. The result's
    /// <see cref="RangeResult.Revision"/> is the revision the list was read at (reuse it for the next page).
    /// </summary>
    Task<RangeResult> RangeAsync(string prefix, long revision = 0, string? startAfterKey = null, int limit = 0, CancellationToken ct = default);

    /// <summary>Counts the current keys under a prefix.</summary>
    Task<long> CountAsync(string prefix, CancellationToken ct = default);

    /// <summary>
    /// Streams every change to keys under <paramref name="prefix"/> with a revision greater than
    /// <paramref name="afterRevision"/>, in revision order, first from history then live, until
    /// <paramref name="ct"/> is cancelled. Throws <see cref="CompactedException"/> (synchronously, before the
    /// first item) when <paramref name="afterRevision"/> is older than <see cref="CompactedRevision"/>.
    /// A slow reader must not block writers: the watch is ended with <see cref="WatchLaggedException"/> instead.
    /// </summary>
    IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct = default);

    /// <summary>Drops history at or below <paramref name="revision"/>, keeping every key's current value.</summary>
    Task CompactAsync(long revision, CancellationToken ct = default);
}
