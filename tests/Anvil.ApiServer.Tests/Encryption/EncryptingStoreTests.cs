using System.Text;
using Anvil.ApiServer.Encryption;
using Anvil.Storage;
using Anvil.Storage.Sqlite;

namespace Anvil.ApiServer.Tests.Encryption;

public sealed class EncryptingStoreTests : IAsyncLifetime
{
    private const string SecretKey = "/registry/core/secrets/ns/s1";
    private const string ConfigMapKey = "/registry/core/configmaps/ns/c1";
    private static readonly byte[] Plain = Encoding.UTF8.GetBytes("""{"kind":"Secret","data":{"password":"c2VjcmV0LXZhbHVlLTQy"}}""");

    private readonly TempDir _dir = new();
    private SqliteStore _raw = null!;
    private EncryptingStore _store = null!;

    public async Task InitializeAsync()
    {
        _raw = await SqliteStore.OpenAsync(_dir.File("state.db"));
        _store = new EncryptingStore(_raw, EncryptionConfiguration.LoadOrCreate(_dir.File("encryption-config.yaml")));
    }

    public async Task DisposeAsync()
    {
        await _raw.DisposeAsync();
        _dir.Dispose();
    }

    private static string Text(ReadOnlyMemory<byte> b) => Encoding.UTF8.GetString(b.Span);

    [Fact]
    public async Task Secrets_AreStoredEncryptedWithKey1_AndReadBackAsPlaintext()
    {
        var rev = await _store.CreateAsync(SecretKey, Plain);
        var raw = (await _raw.GetAsync(SecretKey))!;
        Assert.StartsWith("k8s:enc:aescbc:v1:key1:", Text(raw.Value));
        Assert.DoesNotContain("c2VjcmV0LXZhbHVlLTQy", Text(raw.Value));
        // prefix + 16-byte IV + whole AES blocks
        Assert.Equal(0, (raw.Value.Length - "k8s:enc:aescbc:v1:key1:".Length) % 16);

        var read = (await _store.GetAsync(SecretKey))!;
        Assert.Equal(Text(Plain), Text(read.Value));
        Assert.Equal((rev, rev), (read.CreateRevision, read.ModRevision));
    }

    [Fact]
    public async Task OtherResources_AreStoredAsIs()
    {
        await _store.CreateAsync(ConfigMapKey, Plain);
        Assert.Equal(Text(Plain), Text((await _raw.GetAsync(ConfigMapKey))!.Value));
    }

    [Fact]
    public async Task PlaintextRowsFromBeforeEncryption_AreReadThroughIdentity()
    {
        await _raw.CreateAsync(SecretKey, Plain);
        Assert.Equal(Text(Plain), Text((await _store.GetAsync(SecretKey))!.Value));
        // The next write encrypts it.
        var kv = (await _store.GetAsync(SecretKey))!;
        await _store.UpdateAsync(SecretKey, Encoding.UTF8.GetBytes("{\"v\":2}"), kv.ModRevision);
        Assert.StartsWith("k8s:enc:aescbc:v1:key1:", Text((await _raw.GetAsync(SecretKey))!.Value));
    }

    [Fact]
    public async Task EncryptedValueWithUnknownKey_FailsInsteadOfReturningCiphertext()
    {
        await _raw.CreateAsync(SecretKey, Encoding.ASCII.GetBytes("k8s:enc:aescbc:v1:gone:0123456789abcdef0123456789abcdef"));
        var e = await Assert.ThrowsAsync<EncryptionException>(() => _store.GetAsync(SecretKey));
        Assert.Equal("identity transformer tried to read encrypted data", e.Message);
    }

    [Fact]
    public async Task RangeWatchDeleteAndConflict_AreDecrypted()
    {
        var start = _store.CurrentRevision;
        var rev = await _store.CreateAsync(SecretKey, Plain);
        await _store.CreateAsync(ConfigMapKey, Encoding.UTF8.GetBytes("{}"));

        var range = await _store.RangeAsync("/registry/core/");
        Assert.Equal(["{}", Text(Plain)], range.Items.Select(i => Text(i.Value)).ToArray());

        var conflict = await Assert.ThrowsAsync<RevisionConflictException>(() => _store.UpdateAsync(SecretKey, Plain, rev + 100));
        Assert.Equal(Text(Plain), Text(conflict.Current!.Value));

        var (_, deleted) = await _store.DeleteAsync(SecretKey);
        Assert.Equal(Text(Plain), Text(deleted.Value));

        using var cts = new CancellationTokenSource();
        var events = new List<WatchEvent>();
        await foreach (var e in _store.WatchAsync("/registry/core/secrets/", start, cts.Token))
        {
            events.Add(e);
            if (events.Count == 2) break;
        }
        Assert.Equal(Text(Plain), Text(events[0].Current!.Value));
        Assert.Equal(WatchEventType.Delete, events[1].Type);
        Assert.Equal(Text(Plain), Text(events[1].Previous!.Value));
    }

    [Fact]
    public async Task Watch_FromCompactedRevision_StillThrowsSynchronously()
    {
        await _store.CreateAsync(ConfigMapKey, Plain);
        var rev = await _store.CreateAsync(ConfigMapKey + "x", Plain);
        await _store.CompactAsync(rev);
        Assert.Throws<CompactedException>(() => _store.WatchAsync("/registry/", 1));
    }

    [Fact]
    public async Task Rotation_KeepsOldValuesReadable_ThenRewritesThemWithTheNewKey()
    {
        var configPath = _dir.File("encryption-config.yaml");
        await _store.CreateAsync(SecretKey, Plain);
        await _raw.CreateAsync("/registry/core/secrets/ns/plain", Plain);

        Assert.Equal("key2", EncryptionKeyRotation.AddKey(configPath));
        _store.Reload(EncryptionConfiguration.Load(configPath));
        // Written with key1, still readable before the rewrite.
        Assert.StartsWith("k8s:enc:aescbc:v1:key1:", Text((await _raw.GetAsync(SecretKey))!.Value));
        Assert.Equal(Text(Plain), Text((await _store.GetAsync(SecretKey))!.Value));

        Assert.Equal(2, await _store.RewriteAsync());
        Assert.StartsWith("k8s:enc:aescbc:v1:key2:", Text((await _raw.GetAsync(SecretKey))!.Value));
        Assert.StartsWith("k8s:enc:aescbc:v1:key2:", Text((await _raw.GetAsync("/registry/core/secrets/ns/plain"))!.Value));
        Assert.Equal(Text(Plain), Text((await _store.GetAsync(SecretKey))!.Value));
        Assert.Equal(0, await _store.RewriteAsync());

        var config = EncryptionConfiguration.Load(configPath);
        Assert.Equal(["key2", "key1", ""], config.Resources[0].Transformers.Select(t => t.KeyName).ToArray());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(configPath));
    }

    [Fact]
    public async Task OfflineRotation_RewritesTheRawStore()
    {
        var configPath = _dir.File("encryption-config.yaml");
        await _store.CreateAsync(SecretKey, Plain);
        var (name, rewritten) = await EncryptionKeyRotation.RotateAsync(configPath, _raw);
        Assert.Equal(("key2", 1), (name, rewritten));
        Assert.StartsWith("k8s:enc:aescbc:v1:key2:", Text((await _raw.GetAsync(SecretKey))!.Value));
    }
}
