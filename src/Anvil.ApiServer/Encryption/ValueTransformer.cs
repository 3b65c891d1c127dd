namespace Anvil.ApiServer.Encryption;

/// <summary>
/// One way values are stored (k8s.io/apiserver value.Transformer behind a prefix): one provider key, e.g.
/// <c>k8s:enc:aescbc:v1:key1:</c>. The identity transformer has the empty prefix and stores plaintext.
/// </summary>
public abstract class ValueTransformer
{
    /// <summary>Stored values written by this transformer start with these bytes (empty for identity).</summary>
    public abstract string Prefix { get; }

    /// <summary>The provider's name as written in the configuration (aescbc, aesgcm, identity).</summary>
    public abstract string Provider { get; }

    /// <summary>The key's name (empty for identity).</summary>
    public virtual string KeyName => "";

    /// <summary>The stored form of <paramref name="plaintext"/> (with <see cref="Prefix"/>); <paramref name="storageKey"/> is authenticated where the cipher can.</summary>
    public abstract byte[] Encrypt(ReadOnlySpan<byte> plaintext, string storageKey);

    /// <summary>The plaintext of a stored value that starts with <see cref="Prefix"/>.</summary>
    /// <exception cref="EncryptionException">The value cannot be decrypted with this key.</exception>
    public abstract byte[] Decrypt(ReadOnlySpan<byte> stored, string storageKey);

    internal static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b, ReadOnlySpan<byte> c)
    {
        var result = new byte[a.Length + b.Length + c.Length];
        a.CopyTo(result);
        b.CopyTo(result.AsSpan(a.Length));
        c.CopyTo(result.AsSpan(a.Length + b.Length));
        return result;
    }
}
