using System.Runtime.CompilerServices;
using Anvil.Storage;

namespace Anvil.ApiServer.Encryption;

/// <summary>
/// Encryption at rest as an <see cref="IStore"/> decorator: values of keys that the configuration covers
/// (by default <c>/registry/core/secrets/</c>) are encrypted with the first provider key on write and
/// decrypted on every read (get, range, watch, delete, conflict) by their prefix. Keys, revisions and
/// exceptions are the inner store's. The configuration can be swapped at runtime with <see cref="Reload"/>.
/// </summary>
public sealed class EncryptingStore : IStore
{
    private volatile EncryptionConfiguration _config;

    public EncryptingStore(IStore inner, EncryptionConfiguration config)
    {
        Inner = inner;
        _config = config;
    }

    /// <summary>The wrapped store (holds the encrypted bytes).</summary>
    public IStore Inner { get; }

    public EncryptionConfiguration Configuration => _config;

    public long CurrentRevision => Inner.CurrentRevision;

    public long CompactedRevision => Inner.CompactedRevision;

    /// <summary>Uses a new configuration for the following reads and writes.</summary>
    public void Reload(EncryptionConfiguration config) => _config = config;

    public Task<long> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken ct = default) =>
        Inner.CreateAsync(key, Encrypt(key, value), ct);

    public async Task<long> UpdateAsync(string key, ReadOnlyMemory<byte> value, long expectedRevision, CancellationToken ct = default)
    {
        try
        {
            return await Inner.UpdateAsync(key, Encrypt(key, value), expectedRevision, ct).ConfigureAwait(false);
        }
        catch (RevisionConflictException e)
        {
            throw new RevisionConflictException(e.Key, Decrypt(e.Current));
        }
    }

    public async Task<(long Revision, KeyValue Deleted)> DeleteAsync(string key, long expectedRevision = 0, CancellationToken ct = default)
    {
        try
        {
            var (revision, deleted) = await Inner.DeleteAsync(key, expectedRevision, ct).ConfigureAwait(false);
            return (revision, Decrypt(deleted)!);
        }
        catch (RevisionConflictException e)
        {
            throw new RevisionConflictException(e.Key, Decrypt(e.Current));
        }
    }

    public async Task<KeyValue?> GetAsync(string key, CancellationToken ct = default) =>
        Decrypt(await Inner.GetAsync(key, ct).ConfigureAwait(false));

    public async Task<RangeResult> RangeAsync(string prefix, long revision = 0, string? startAfterKey = null, int limit = 0, CancellationToken ct = default)
    {
        var result = await Inner.RangeAsync(prefix, revision, startAfterKey, limit, ct).ConfigureAwait(false);
        var config = _config;
        if (!result.Items.Any(kv => config.For(kv.Key) != null)) return result;
        return result with { Items = result.Items.Select(kv => Decrypt(kv, config)!).ToList() };
    }

    public Task<long> CountAsync(string prefix, CancellationToken ct = default) => Inner.CountAsync(prefix, ct);

    public IAsyncEnumerable<WatchEvent> WatchAsync(string prefix, long afterRevision, CancellationToken ct = default)
    {
        // Called now so CompactedException is still thrown synchronously, as the contract says.
        var events = Inner.WatchAsync(prefix, afterRevision, ct);
        return DecryptEvents(events, ct);
    }

    public Task CompactAsync(long revision, CancellationToken ct = default) => Inner.CompactAsync(revision, ct);

    public ValueTask DisposeAsync() => Inner.DisposeAsync();

    /// <summary>
    /// Rewrites every covered value that is not stored with the current write key (after a rotation or
    /// after enabling encryption), each under its revision guard; a value changed meanwhile is skipped, as
    /// that write used the current key. Returns how many values were rewritten.
    /// </summary>
    public async Task<int> RewriteAsync(CancellationToken ct = default)
    {
        var config = _config;
        var rewritten = 0;
        foreach (var prefix in config.Resources.SelectMany(r => r.KeyPrefixes()).Distinct())
        {
            string? after = null;
            while (true)
            {
                var page = await Inner.RangeAsync(prefix, 0, after, 500, ct).ConfigureAwait(false);
                foreach (var kv in page.Items)
                {
                    var entry = config.For(kv.Key);
                    if (entry == null || entry.ReaderFor(kv.Value.Span) == entry.Writer) continue;
                    var plain = entry.ReaderFor(kv.Value.Span).Decrypt(kv.Value.Span, kv.Key);
                    try
                    {
                        await Inner.UpdateAsync(kv.Key, entry.Writer.Encrypt(plain, kv.Key), kv.ModRevision, ct).ConfigureAwait(false);
                        rewritten++;
                    }
                    catch (Exception e) when (e is RevisionConflictException or KeyNotFoundException)
                    {
                    }
                }
                if (!page.More || page.Items.Count == 0) break;
                after = page.Items[^1].Key;
            }
        }
        return rewritten;
    }

    private async IAsyncEnumerable<WatchEvent> DecryptEvents(IAsyncEnumerable<WatchEvent> events, [EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var e in events.WithCancellation(ct).ConfigureAwait(false))
        {
            var config = _config;
            if (config.For(e.Key) == null) yield return e;
            else yield return e with { Current = Decrypt(e.Current, config), Previous = Decrypt(e.Previous, config) };
        }
    }

    private ReadOnlyMemory<byte> Encrypt(string key, ReadOnlyMemory<byte> value) =>
        _config.For(key) is { } entry ? entry.Writer.Encrypt(value.Span, key) : value;

    private KeyValue? Decrypt(KeyValue? kv) => Decrypt(kv, _config);

    private static KeyValue? Decrypt(KeyValue? kv, EncryptionConfiguration config)
    {
        if (kv == null || config.For(kv.Key) is not { } entry) return kv;
        return kv with { Value = entry.ReaderFor(kv.Value.Span).Decrypt(kv.Value.Span, kv.Key) };
    }
}
