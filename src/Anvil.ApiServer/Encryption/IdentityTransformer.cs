using System.Text;

namespace Anvil.ApiServer.Encryption;

/// <summary>The <c>identity: {}</c> provider: stores plaintext, reads anything that is not encrypted.</summary>
public sealed class IdentityTransformer : ValueTransformer
{
    public static readonly IdentityTransformer Instance = new();

    /// <summary>Every encrypted value starts with this; identity refuses to hand it out as plaintext.</summary>
    internal static readonly byte[] EncryptedMarker = Encoding.ASCII.GetBytes("k8s:enc:");

    public override string Prefix => "";

    public override string Provider => "identity";

    public override byte[] Encrypt(ReadOnlySpan<byte> plaintext, string storageKey) => plaintext.ToArray();

    public override byte[] Decrypt(ReadOnlySpan<byte> stored, string storageKey)
    {
        // As upstream: an encrypted value whose key is no longer configured must fail, not leak ciphertext as data.
        if (stored.StartsWith(EncryptedMarker)) throw new EncryptionException("identity transformer tried to read encrypted data");
        return stored.ToArray();
    }
}
