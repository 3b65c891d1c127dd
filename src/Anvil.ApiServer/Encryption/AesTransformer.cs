using System.Text;

namespace Anvil.ApiServer.Encryption;

/// <summary>
/// What the AES providers share: one named key of 16, 24 or 32 bytes and the stored prefix
/// <c>k8s:enc:&lt;provider&gt;:v1:&lt;name&gt;:</c> in front of the ciphertext.
/// </summary>
public abstract class AesTransformer : ValueTransformer
{
    private readonly byte[] _prefix;

    protected AesTransformer(string provider, string keyName, byte[] key)
    {
        if (key.Length is not (16 or 24 or 32)) throw new EncryptionException($"key \"{keyName}\": {provider} keys must be 16, 24 or 32 bytes, got {key.Length}");
        Provider = provider;
        KeyName = keyName;
        Key = key;
        Prefix = $"k8s:enc:{provider}:v1:{keyName}:";
        _prefix = Encoding.ASCII.GetBytes(Prefix);
    }

    public sealed override string Prefix { get; }

    public sealed override string Provider { get; }

    public sealed override string KeyName { get; }

    protected byte[] Key { get; }

    /// <summary>The prefix as bytes, written in front of every stored value.</summary>
    protected ReadOnlySpan<byte> PrefixBytes => _prefix;

    /// <summary>What follows the prefix in a stored value (IV or nonce, then ciphertext).</summary>
    protected ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> stored) => stored[_prefix.Length..];
}
