using System.Security.Cryptography;

namespace Anvil.ApiServer.Encryption;

/// <summary>
/// One key of the <c>aescbc</c> provider, in kube-apiserver's stored format:
/// <c>k8s:enc:aescbc:v1:&lt;name&gt;:</c> + 16-byte random IV + AES-CBC ciphertext with PKCS#7 padding.
/// </summary>
public sealed class AesCbcTransformer(string keyName, byte[] key) : AesTransformer("aescbc", keyName, key)
{
    private const int BlockSize = 16;

    public override byte[] Encrypt(ReadOnlySpan<byte> plaintext, string storageKey)
    {
        Span<byte> iv = stackalloc byte[BlockSize];
        RandomNumberGenerator.Fill(iv);
        using var aes = Aes.Create();
        aes.Key = Key;
        return Concat(PrefixBytes, iv, aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7));
    }

    public override byte[] Decrypt(ReadOnlySpan<byte> stored, string storageKey)
    {
        var data = Payload(stored);
        if (data.Length < 2 * BlockSize || data.Length % BlockSize != 0)
            throw new EncryptionException("the stored data was shorter than the required block size or not a multiple of it");
        using var aes = Aes.Create();
        aes.Key = Key;
        try
        {
            return aes.DecryptCbc(data[BlockSize..], data[..BlockSize], PaddingMode.PKCS7);
        }
        catch (CryptographicException e)
        {
            throw new EncryptionException($"invalid padding on input (key \"{KeyName}\")", e);
        }
    }
}
