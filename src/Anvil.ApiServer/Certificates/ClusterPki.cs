using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Anvil.Machinery.Tls;

namespace Anvil.ApiServer.Certificates;

/// <summary>
/// The cluster's certificate authority and the certificates made from it: the API server's serving
/// certificate and client certificates (CN = user, O = groups, as Kubernetes maps them). Created on first
/// start under <c>&lt;data-dir&gt;/pki</c> (keys 0600, directory 0700) and loaded on later starts.
/// </summary>
public sealed class ClusterPki
{
    public X509Certificate2 Ca { get; }
    public X509Certificate2 Serving { get; private set; }
    private readonly ECDsa _caKey;
    private readonly string _dir;

    private ClusterPki(string dir, X509Certificate2 ca, ECDsa caKey, X509Certificate2 serving)
    {
        _dir = dir;
        Ca = ca;
        _caKey = caKey;
        Serving = serving;
    }

    /// <summary>Loads the PKI from <paramref name="dataDir"/>/pki, creating what is missing.</summary>
    public static ClusterPki LoadOrCreate(string dataDir, IEnumerable<string> extraServingNames)
    {
        var dir = Path.Combine(dataDir, "pki");
        FileModes.CreatePrivateDirectory(dir);
        var caCrt = Path.Combine(dir, "ca.crt");
        var caKeyPath = Path.Combine(dir, "ca.key");
        X509Certificate2 ca;
        ECDsa caKey;
        if (File.Exists(caCrt) && File.Exists(caKeyPath))
        {
            ca = X509Certificate2.CreateFromPem(File.ReadAllText(caCrt));
            caKey = ECDsa.Create();
            caKey.ImportFromPem(File.ReadAllText(caKeyPath));
        }
        else
        {
            caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest("CN=anvil-ca", caKey, HashAlgorithmName.SHA256);
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
            var now = DateTimeOffset.UtcNow;
            ca = req.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(10));
            FileModes.WritePrivate(caKeyPath, caKey.ExportPkcs8PrivateKeyPem());
            FileModes.WritePrivate(caCrt, ca.ExportCertificatePem());
        }

        var servingCrt = Path.Combine(dir, "apiserver.crt");
        var servingKey = Path.Combine(dir, "apiserver.key");
        var names = new[] { "localhost", Environment.MachineName, "kubernetes", "kubernetes.default", "kubernetes.default.svc" }
            .Concat(extraServingNames).Distinct().ToList();
        X509Certificate2 serving;
        if (File.Exists(servingCrt) && File.Exists(servingKey) && CoversNames(servingCrt, names))
        {
            serving = LoadWithKey(servingCrt, servingKey);
        }
        else
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var req = new CertificateRequest("CN=kube-apiserver", key, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
            foreach (var n in names)
            {
                if (IPAddress.TryParse(n, out var ip)) san.AddIpAddress(ip);
                else san.AddDnsName(n);
            }
            req.CertificateExtensions.Add(san.Build());
            req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var cert = Sign(req, ca, caKey, TimeSpan.FromDays(365));
            FileModes.WritePrivate(servingKey, key.ExportPkcs8PrivateKeyPem());
            FileModes.WritePrivate(servingCrt, cert.ExportCertificatePem());
            serving = LoadWithKey(servingCrt, servingKey);
        }
        return new ClusterPki(dir, ca, caKey, serving);
    }

    private static bool CoversNames(string certPath, List<string> names)
    {
        using var cert = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        if (cert.NotAfter < DateTime.UtcNow.AddDays(30)) return false;
        var ext = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        if (ext == null) return false;
        var dns = ext.EnumerateDnsNames().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var ips = ext.EnumerateIPAddresses().Select(i => i.ToString()).ToHashSet();
        return names.All(n => IPAddress.TryParse(n, out var ip) ? ips.Contains(ip.ToString()) : dns.Contains(n));
    }

    private static X509Certificate2 LoadWithKey(string crt, string key) => ClusterTrust.LoadCertificate(File.ReadAllText(crt), File.ReadAllText(key));

    private static X509Certificate2 Sign(CertificateRequest req, X509Certificate2 ca, ECDsa caKey, TimeSpan lifetime)
    {
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.Add(lifetime);
        if (notAfter > ca.NotAfter) notAfter = ca.NotAfter;
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var generator = X509SignatureGenerator.CreateForECDsa(caKey);
        return req.Create(ca.SubjectName, generator, now.AddMinutes(-5), notAfter, serial);
    }

    /// <summary>
    /// Signs a certificate a signer prepared (subject, the requester's public key, extensions) with the cluster
    /// CA: a random 128-bit serial, the CA's key identifier, and <paramref name="notAfter"/> capped at the CA's own.
    /// </summary>
    public X509Certificate2 Sign(CertificateRequest request, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        if (notAfter > Ca.NotAfter) notAfter = Ca.NotAfter;
        if (notBefore >= Ca.NotAfter) throw new CryptographicException($"the signer has expired: NotAfter={Ca.NotAfter.ToUniversalTime():yyyy-MM-dd HH:mm:ss} +0000 UTC");
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);
        serial[0] &= 0x7f;
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Ca, true, false));
        return request.Create(Ca.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey), notBefore, notAfter, serial);
    }

    /// <summary>Issues a client certificate for a user (CN) in groups (O), with a new key. Returns PEM texts.</summary>
    public (string CertificatePem, string KeyPem) IssueClientCertificate(string user, IEnumerable<string> groups, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new StringBuilder();
        foreach (var g in groups) subject.Append("O=").Append(Escape(g)).Append(", ");
        subject.Append("CN=").Append(Escape(user));
        var req = new CertificateRequest(subject.ToString(), key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        using var cert = Sign(req, Ca, _caKey, lifetime);
        return (cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>
    /// Issues a serving certificate (e.g. a kubelet's) for DNS names and IP addresses, with a new key, ready for
    /// Kestrel. Not written to disk: the holder asks for a new one when it starts.
    /// </summary>
    public X509Certificate2 IssueServingCertificate(string commonName, IEnumerable<string> names, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=" + Escape(commonName), key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var n in names.Distinct())
        {
            if (IPAddress.TryParse(n, out var ip)) san.AddIpAddress(ip);
            else san.AddDnsName(n);
        }
        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = Sign(req, Ca, _caKey, lifetime);
        return ClusterTrust.LoadCertificate(cert.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static string Escape(string value) =>
        value.IndexOfAny([',', '+', '"', '\\', '<', '>', ';', '=']) >= 0 ? "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"" : value;

    /// <summary>
    /// Checks that a client certificate chains to the cluster CA and is within its validity. Chain building
    /// costs about 180 µs of CPU; the certificate authenticator calls this once per TLS connection.
    /// </summary>
    public bool IsTrustedClient(X509Certificate2 cert) => ClusterTrust.ChainsTo(cert, Ca);

    public string CaPem => Ca.ExportCertificatePem();
}
