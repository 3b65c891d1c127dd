using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Anvil.E2E.Harness;

/// <summary>
/// Kubeconfigs for other users than admin: a client certificate (CN = user, O = groups) signed with the
/// cluster CA the server keeps in its data dir, as an administrator would issue one.
/// </summary>
public static class UserKubeconfig
{
    public static string Write(AnvilServer server, string directory, string user, IEnumerable<string> groups, string? ns = null)
    {
        var pki = Path.Combine(server.DataDir, "pki");
        var caPem = File.ReadAllText(Path.Combine(pki, "ca.crt"));
        using var ca = X509Certificate2.CreateFromPem(caPem);
        using var caKey = ECDsa.Create();
        caKey.ImportFromPem(File.ReadAllText(Path.Combine(pki, "ca.key")));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = string.Concat(groups.Select(g => $"O={g}, ")) + "CN=" + user;
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var cert = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1), serial);

        var text = Anvil.ApiServer.Certificates.Kubeconfig.Build(server.Url, caPem, user, cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem(), ns: ns);
        var path = Path.Combine(directory, user.Replace(':', '_') + ".kubeconfig");
        File.WriteAllText(path, text);
        return path;
    }
}
