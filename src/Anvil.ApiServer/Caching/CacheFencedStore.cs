using Anvil.Storage;

namespace Anvil.ApiServer.Caching;

/// <summary>
/// An <see cref="IStore"/> decorator: writes to a resource that an <see cref="ObjectCaches"/> cache serves return
/// once that cache has them (see <see cref="ObjectCaches.FenceAsync"/>). Every other call passes through.
/// </summary>
public sealed class CacheFencedStore(IStore inner, ObjectCaches caches) : IStore
{
    public IStore Inner => inner;
    public long CurrentRevision => inner.CurrentRevision;
    public long CompactedRevision => inner.CompactedRevision;

    public async Task<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct = default)
    {
        var rev = await inner.CreateAsync(key, value, ct).ConfigureAwait(false);
        await caches.FenceAsync(key, rev, ct).ConfigureAwait(false);
        return rev;
    }

    public Task<KeyValue?> GetAsync(string key, CancellationToken ct = default) => inner.GetAsync(key, ct);

    public async Task<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct = default)
    {
        var rev = await inner.UpdateAsync(key, value, expectedRevision, ct).ConfigureAwait(false);
        await caches.FenceAsync(key, rev, ct).ConfigureAwait(false);
        return rev;
    }

    public async Task<(long Revision, KeyValue Deleted)> DeleteAsync(string key, long expectedRevision = 0, CancellationToken ct = default)
    {
        var result = await inner.DeleteAsync(key, expectedRevision, ct).ConfigureAwait(false);
        await caches.FenceAsync(key, result.Revision, ct).ConfigureAwait(false);
        return result;
    }

    public Task<RangeResult> RangeAsync(string prefix, long revision = 0, string? startAfterKey = null, int limit = 0, CancellationToken ct = default) =>
        inner.RangeAsync(prefix, revision, startAfterKey, limit, ct);

    public Task<long> CountAsync(string prefix, CancellationToken ct = default) => inner.CountAsync(prefix, ct);

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct = default) =>
        inner.WatchAsync(prefix, afterRevision, ct);

    public Task CompactAsync(long revision, CancellationToken ct = default) => inner.CompactAsync(revision, ct);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
