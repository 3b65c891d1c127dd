using System.Security.Cryptography;
using System.Text;

namespace Anvil.ApiServer.Encryption;

/// <summary>
/// One key of the <c>aesgcm</c> provider: <c>k8s:enc:aesgcm:v1:&lt;name&gt;:</c> + 12-byte random nonce +
/// ciphertext + 16-byte tag; the storage key is the authenticated data, so a value cannot be moved to another key.
/// </summary>
public sealed class AesGcmTransformer(string keyName, byte[] key) : AesTransformer("aesgcm", keyName, key)
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    public override byte[] Encrypt(ReadOnlySpan<byte> plaintext, string storageKey)
    {
        var prefix = PrefixBytes;
        var result = new byte[prefix.Length + NonceSize + plaintext.Length + TagSize];
        prefix.CopyTo(result);
        var nonce = result.AsSpan(prefix.Length, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var gcm = new AesGcm(Key, TagSize);
        gcm.Encrypt(nonce, plaintext, result.AsSpan(prefix.Length + NonceSize, plaintext.Length),
            result.AsSpan(result.Length - TagSize), Encoding.UTF8.GetBytes(storageKey));
        return result;
    }

    public override byte[] Decrypt(ReadOnlySpan<byte> stored, string storageKey)
    {
        var data = Payload(stored);
        if (data.Length < NonceSize + TagSize) throw new EncryptionException("the stored data was shorter than the required size");
        var plaintext = new byte[data.Length - NonceSize - TagSize];
        using var gcm = new AesGcm(Key, TagSize);
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
