using System.Security.Cryptography;
using Anvil.ApiServer.Certificates;

namespace Anvil.ApiServer.Authentication;

/// <summary>
/// The key that signs and verifies service account tokens: RSA 2048 with RS256, as kubeadm clusters use.
/// Created on first start as <c>&lt;pki&gt;/sa.key</c> (PKCS#8, mode 0600) with <c>sa.pub</c> beside it.
/// </summary>
public sealed class ServiceAccountSigningKey
{
    public const string Algorithm = "RS256";

    public RSA Key { get; }

    /// <summary>The JWT <c>kid</c>: unpadded base64url of the SHA-256 of the DER public key, as kube-apiserver computes it.</summary>
    public string KeyId { get; }

    public ServiceAccountSigningKey(RSA key)
    {
        Key = key;
        KeyId = System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(key.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>A new in-memory key (tests).</summary>
    public static ServiceAccountSigningKey Generate() => new(RSA.Create(2048));

    /// <summary>Loads <c>sa.key</c> from <paramref name="pkiDir"/>, creating it (and <c>sa.pub</c>) when missing.</summary>
    public static ServiceAccountSigningKey LoadOrCreate(string pkiDir)
    {
        FileModes.CreatePrivateDirectory(pkiDir);
        var keyPath = Path.Combine(pkiDir, "sa.key");
        var rsa = RSA.Create();
        if (File.Exists(keyPath))
        {
            rsa.ImportFromPem(File.ReadAllText(keyPath));
        }
        else
        {
            rsa.Dispose();
            rsa = RSA.Create(2048);
            FileModes.WritePrivate(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        }
        var pubPath = Path.Combine(pkiDir, "sa.pub");
        if (!File.Exists(pubPath)) FileModes.WritePrivate(pubPath, rsa.ExportSubjectPublicKeyInfoPem());
        return new ServiceAccountSigningKey(rsa);
    }
}
