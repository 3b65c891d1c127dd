using System.Security.Cryptography;
using System.Text;

namespace Anvil.ApiServer.Encryption;

/// <summary>
/// One key of the <c>aesgcm</c> provider: <c>k8s:enc:aesgcm:v1:&lt;name&gt;:</c> + 12-byte random nonce +
/// ciphertext + 16-byte tag; the storage key is the authenticated data, so a value cannot be moved to another key.
/// </summary>
public sealed class AesGcmTransformer : ValueTransformer
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly byte[] _key;
    private readonly byte[] _prefix;

    public AesGcmTransformer(string keyName, byte[] key)
    {
        if (key.Length is not (16 or 24 or 32)) throw new EncryptionException($"key \"{keyName}\": aesgcm keys must be 16, 24 or 32 bytes, got {key.Length}");
        KeyName = keyName;
        _key = key;
        Prefix = $"k8s:enc:aesgcm:v1:{keyName}:";
        _prefix = Encoding.ASCII.GetBytes(Prefix);
    }

    public override string Prefix { get; }

    public override string Provider => "aesgcm";

    public override string KeyName { get; }

    public override byte[] Encrypt(ReadOnlySpan<byte> plaintext, string storageKey)
    {
        var result = new byte[_prefix.Length + NonceSize + plaintext.Length + TagSize];
        _prefix.CopyTo(result, 0);
        var nonce = result.AsSpan(_prefix.Length, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(_key, TagSize);
        gcm.Encrypt(nonce, plaintext, result.AsSpan(_prefix.Length + NonceSize, plaintext.Length),
            result.AsSpan(result.Length - TagSize), Encoding.UTF8.GetBytes(storageKey));
        return result;
    }

    public override byte[] Decrypt(ReadOnlySpan<byte> stored, string storageKey)
    {
        var data = stored[_prefix.Length..];
        if (data.Length < NonceSize + TagSize) throw new EncryptionException("the stored data was shorter than the required size");
        var plaintext = new byte[data.Length - NonceSize - TagSize];
        using var gcm = new AesGcm(_key, TagSize);
        try
        {
            gcm.Decrypt(data[..NonceSize], data[NonceSize..^TagSize], data[^TagSize..], plaintext, Encoding.UTF8.GetBytes(storageKey));
        }
        catch (CryptographicException e)
        {
            throw new EncryptionException($"cipher: message authentication failed (key \"{KeyName}\")", e);
        }
        return plaintext;
    }
}
