using System.Security.Cryptography;
using System.Text;

namespace Anvil.ApiServer.Encryption;

/// <summary>
/// One key of the <c>aescbc</c> provider, in kube-apiserver's stored format:
/// <c>k8s:enc:aescbc:v1:&lt;name&gt;:</c> + 16-byte random IV + AES-CBC ciphertext with PKCS#7 padding.
/// </summary>
public sealed class AesCbcTransformer : ValueTransformer
{
    private const int BlockSize = 16;
    private readonly byte[] _key;
    private readonly byte[] _prefix;

    public AesCbcTransformer(string keyName, byte[] key)
    {
        if (key.Length is not (16 or 24 or 32)) throw new EncryptionException($"key \"{keyName}\": aescbc keys must be 16, 24 or 32 bytes, got {key.Length}");
        KeyName = keyName;
        _key = key;
        Prefix = $"k8s:enc:aescbc:v1:{keyName}:";
        _prefix = Encoding.ASCII.GetBytes(Prefix);
    }

    public override string Prefix { get; }

    public override string Provider => "aescbc";

    public override string KeyName { get; }

    public override byte[] Encrypt(ReadOnlySpan<byte> plaintext, string storageKey)
    {
        Span<byte> iv = stackalloc byte[BlockSize];
        RandomNumberGenerator.Fill(iv);
        using var aes = Aes.Create();
        aes.Key = _key;
        return Concat(_prefix, iv, aes.EncryptCbc(plaintext, iv, PaddingMode.PKCS7));
    }

    public override byte[] Decrypt(ReadOnlySpan<byte> stored, string storageKey)
    {
        var data = stored[_prefix.Length..];
        if (data.Length < 2 * BlockSize || data.Length % BlockSize != 0)
            throw new EncryptionException("the stored data was shorter than the required block size or not a multiple of it");
        using var aes = Aes.Create();
        aes.Key = _key;
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
