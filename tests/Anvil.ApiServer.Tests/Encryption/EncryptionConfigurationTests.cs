using System.Text;
using Anvil.ApiServer.Encryption;

namespace Anvil.ApiServer.Tests.Encryption;

public sealed class EncryptionConfigurationTests
{
    private static readonly string Key16 = Convert.ToBase64String(new byte[16]);

    [Fact]
    public void Default_IsCreatedPrivate_WithARandom32ByteKey1_ThenIdentity()
    {
        using var dir = new TempDir();
        var path = dir.File("encryption-config.yaml");
        var config = EncryptionConfiguration.LoadOrCreate(path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var entry = Assert.Single(config.Resources);
        Assert.Equal(["secrets"], entry.Resources);
        Assert.Equal(["aescbc/key1", "identity/"], entry.Transformers.Select(t => t.Provider + "/" + t.KeyName).ToArray());
        // Loading again keeps the key.
        var text = File.ReadAllText(path);
        EncryptionConfiguration.LoadOrCreate(path);
        Assert.Equal(text, File.ReadAllText(path));
        var secret = text.Split('\n').Single(l => l.Contains("secret:")).Split(':')[1].Trim();
        Assert.Equal(32, Convert.FromBase64String(secret).Length);
    }

    [Theory]
    [InlineData("/registry/core/secrets/ns/a", true)]
    [InlineData("/registry/core/secrets/a", true)]
    [InlineData("/registry/core/configmaps/ns/a", false)]
    [InlineData("/registry/apps/deployments/ns/a", true)]
    [InlineData("/registry/apps/replicasets/ns/a", false)]
    [InlineData("/registry/batch/jobs/ns/a", true)]
    [InlineData("/registry/example.com/secrets/ns/a", false)]
    [InlineData("/other/core/secrets/ns/a", false)]
    public void Resources_SelectStorageKeys(string key, bool covered)
    {
        var config = EncryptionConfiguration.Parse($$"""
            apiVersion: apiserver.config.k8s.io/v1
            kind: EncryptionConfiguration
            resources:
              - resources: [secrets, deployments.apps, "*.batch"]
                providers:
                  - aesgcm: {keys: [{name: k, secret: "{{Key16}}"}]}
            """);
        Assert.Equal(covered, config.For(key) != null);
    }

    [Theory]
    [InlineData("kind: Policy", "kind: Invalid value: \"Policy\": must be EncryptionConfiguration")]
    [InlineData("providers: [{secretbox: {keys: []}}]", "resources[0].providers[0]: Unsupported value: \"secretbox\": anvil supports aescbc, aesgcm and identity")]
    [InlineData("providers: [{aescbc: {keys: []}}]", "resources[0].providers[0].aescbc.keys: Required value: keys list cannot be empty")]
    [InlineData("providers: [{aescbc: {keys: [{name: a, secret: \"!!\"}]}}]", "resources[0].providers[0].aescbc.keys[0].secret: Invalid value: \"REDACTED\": secrets must be base64 encoded")]
    [InlineData("providers: [{aescbc: {keys: [{name: a, secret: \"AAAA\"}]}}]", "key \"a\": aescbc keys must be 16, 24 or 32 bytes, got 3")]
    [InlineData("providers: [{identity: {}, aescbc: {}}]", "resources[0].providers[0]: Invalid value: exactly one provider must be configured per entry")]
    public void InvalidConfigurations_AreRefused(string line, string message)
    {
        var text = line.StartsWith("kind", StringComparison.Ordinal)
            ? $"apiVersion: apiserver.config.k8s.io/v1\n{line}\nresources: [{{resources: [secrets], providers: [{{identity: {{}}}}]}}]\n"
            : $"apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  {line}\n";
        var e = Assert.Throws<EncryptionException>(() => EncryptionConfiguration.Parse(text));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void AesCbc_MatchesTheUpstreamLayout_AndDecryptsWithTheRightKeyOnly()
    {
        var key = new byte[32];
        key[0] = 7;
        var t = new AesCbcTransformer("key1", key);
        var stored = t.Encrypt("hello"u8, "/registry/core/secrets/a/b");
        var prefix = "k8s:enc:aescbc:v1:key1:"u8.ToArray();
        Assert.Equal(prefix, stored[..prefix.Length]);
        Assert.Equal(prefix.Length + 16 + 16, stored.Length); // IV + one padded block
        // Decrypt independently: IV then CBC with PKCS#7.
        using var aes = System.Security.Cryptography.Aes.Create();
        aes.Key = key;
        var plain = aes.DecryptCbc(stored[(prefix.Length + 16)..], stored[prefix.Length..(prefix.Length + 16)]);
        Assert.Equal("hello", Encoding.UTF8.GetString(plain));
        Assert.Throws<EncryptionException>(() => new AesCbcTransformer("key1", new byte[32]).Decrypt(stored, ""));
    }

    [Fact]
    public void AesGcm_AuthenticatesTheStorageKey()
    {
        var t = new AesGcmTransformer("k", new byte[16]);
        var stored = t.Encrypt("hello"u8, "/registry/core/secrets/a/b");
        Assert.Equal("hello", Encoding.UTF8.GetString(t.Decrypt(stored, "/registry/core/secrets/a/b")));
        var e = Assert.Throws<EncryptionException>(() => t.Decrypt(stored, "/registry/core/secrets/a/c"));
        Assert.Equal("cipher: message authentication failed (key \"k\")", e.Message);
    }
}
