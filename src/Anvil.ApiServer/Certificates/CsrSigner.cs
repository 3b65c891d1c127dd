using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Certificates;

/// <summary>
/// The cluster CA's signers, as kube-controller-manager's csrsigning controllers run them
/// (pkg/controller/certificates/signer): for an Approved, not Failed CSR of a signer it serves, check the
/// request against the signer's rules and issue a certificate with the requested subject, SANs and usages,
/// valid for <c>spec.expirationSeconds</c> (at least 10 minutes, at most <see cref="MaxDuration"/>).
/// </summary>
public sealed class CsrSigner(ClusterPki pki, TimeSpan? maxDuration = null)
{
    public const string KubeApiServerClient = "kubernetes.io/kube-apiserver-client";
    public const string KubeApiServerClientKubelet = "kubernetes.io/kube-apiserver-client-kubelet";
    public const string KubeletServing = "kubernetes.io/kubelet-serving";

    /// <summary>kube-controller-manager's --cluster-signing-duration default.</summary>
    public static readonly TimeSpan DefaultDuration = TimeSpan.FromDays(365);

    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Short = TimeSpan.FromHours(8);
    private static readonly TimeSpan MinDuration = TimeSpan.FromMinutes(10);

    public TimeSpan MaxDuration { get; } = maxDuration ?? DefaultDuration;

    /// <summary>Decides and, when due, signs. Never throws for a bad request: that is a Failure.</summary>
    public CsrSigningResult Handle(JsonObject csr, DateTimeOffset now)
    {
        var types = (Arr(csr["status"]?["conditions"]) ?? []).Select(c => (Type: Str(c?["type"]), Status: Str(c?["status"]))).ToList();
        bool Has(string t) => types.Any(c => c.Type == t && c.Status == "True");
        var approved = types.Any(c => c.Type == "Approved") && !types.Any(c => c.Type == "Denied");
        if (!approved || Has("Failed")) return CsrSigningResult.Nothing;
        if (!string.IsNullOrEmpty(Str(csr["status"]?["certificate"]))) return CsrSigningResult.Nothing;
        var signerName = Str(csr["spec"]?["signerName"]) ?? "";
        if (signerName is not (KubeApiServerClient or KubeApiServerClientKubelet or KubeletServing)) return CsrSigningResult.Nothing;

        byte[] pem;
        try { pem = Convert.FromBase64String(Str(csr["spec"]?["request"]) ?? ""); }
        catch (FormatException) { pem = []; }
        if (!CsrRequestParser.TryParse(pem, out var request, out var parseError))
            throw new CryptographicException($"unable to parse csr \"{Str(csr["metadata"]?["name"])}\": {parseError}");
        var usages = (Arr(csr["spec"]?["usages"]) ?? []).Select(u => Str(u) ?? "").ToList();
        if (Check(signerName, request!, usages) is { } failure) return new CsrSigningResult(Failure: failure);

        var duration = Duration(Int(csr["spec"]?["expirationSeconds"]));
        var (keyUsage, extended) = KeyUsages.From(usages);
        var template = new CertificateRequest(request!.SubjectName, request.PublicKey, HashAlgorithmName.SHA256);
        template.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        if (keyUsage != X509KeyUsageFlags.None) template.CertificateExtensions.Add(new X509KeyUsageExtension(keyUsage, true));
        if (extended.Count > 0)
        {
            var oids = new OidCollection();
            foreach (var o in extended) oids.Add(o);
            template.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(oids, false));
        }
        // Only the names carry over from the request; any other requested extension is dropped.
        foreach (var san in request.CertificateExtensions.Where(e => e.Oid?.Value == SubjectAltNames.Oid))
            template.CertificateExtensions.Add(new X509Extension(san.Oid!, san.RawData, san.Critical));
        var notAfter = duration < Short ? now + duration : now + duration - Backdate;
        using var cert = pki.Sign(template, now - Backdate, notAfter);
        return new CsrSigningResult(CertificatePem: cert.ExportCertificatePem() + "\n");
    }

    /// <summary>The requested duration, honoured between 10 minutes and <see cref="MaxDuration"/>.</summary>
    public TimeSpan Duration(long? expirationSeconds)
    {
        if (expirationSeconds is not { } seconds) return MaxDuration;
        var requested = TimeSpan.FromSeconds(seconds);
        return requested > MaxDuration ? MaxDuration : requested < MinDuration ? MinDuration : requested;
    }

    /// <summary>Whether the request fits the signer's rules; the SignerValidationFailure message when not.</summary>
    internal static string? Check(string signerName, CertificateRequest request, IReadOnlyList<string> usages) => signerName switch
    {
        KubeApiServerClient => ApiServerClientUsages(usages),
        KubeApiServerClientKubelet => KubeletClient(request, usages),
        KubeletServing => KubeletServingRules(request, usages),
        _ => null,
    };

    private static string? ApiServerClientUsages(IReadOnlyList<string> usages)
    {
        var clientAuth = false;
        foreach (var u in usages)
        {
            switch (u)
            {
                case "digital signature" or "key encipherment":
                    break;
                case "client auth":
                    clientAuth = true;
                    break;
                default:
                    return $"invalid usage for client certificate: {u}";
            }
        }
        return clientAuth ? null : "missing required usage for client certificate: client auth";
    }

    private static string? KubeletClient(CertificateRequest request, IReadOnlyList<string> usages)
    {
        if (!IsSystemNodes(request.SubjectName)) return "subject organization is not system:nodes";
        var sans = SubjectAltNames.Of(request.CertificateExtensions);
        if (sans.Dns > 0) return "DNS subjectAltNames are not allowed";
        if (sans.Email > 0) return "Email subjectAltNames are not allowed";
        if (sans.Ip > 0) return "IP subjectAltNames are not allowed";
        if (sans.Uri > 0) return "URI subjectAltNames are not allowed";
        if (!CommonName(request.SubjectName).StartsWith("system:node:", StringComparison.Ordinal)) return "subject common name does not begin with system:node:";
        if (!SetEquals(usages, "digital signature", "key encipherment", "client auth") && !SetEquals(usages, "digital signature", "client auth"))
            return "usages did not match [client auth digital signature key encipherment]";
        return null;
    }

    private static string? KubeletServingRules(CertificateRequest request, IReadOnlyList<string> usages)
    {
        if (!IsSystemNodes(request.SubjectName)) return "subject organization is not system:nodes";
        var sans = SubjectAltNames.Of(request.CertificateExtensions);
        if (sans.Dns == 0 && sans.Ip == 0) return "DNS or IP subjectAltName is required";
        if (sans.Email > 0) return "Email subjectAltNames are not allowed";
        if (sans.Uri > 0) return "URI subjectAltNames are not allowed";
        if (!SetEquals(usages, "digital signature", "key encipherment", "server auth") && !SetEquals(usages, "digital signature", "server auth"))
            return "usages did not match [digital signature key encipherment server auth]";
        if (!CommonName(request.SubjectName).StartsWith("system:node:", StringComparison.Ordinal)) return "subject common name does not begin with system:node:";
        return null;
    }

    private static bool SetEquals(IReadOnlyList<string> usages, params string[] expected) => usages.ToHashSet().SetEquals(expected);

    /// <summary>The subject's organizations (O), in order.</summary>
    internal static List<string> Organizations(X500DistinguishedName name) => Values(name, "2.5.4.10").ToList();

    /// <summary>The subject's common name (the last CN, as Go reads it).</summary>
    internal static string CommonName(X500DistinguishedName name) => Values(name, "2.5.4.3").LastOrDefault() ?? "";

    private static bool IsSystemNodes(X500DistinguishedName name) => Organizations(name) is [ "system:nodes" ];

    private static IEnumerable<string> Values(X500DistinguishedName name, string oid)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.HasMultipleElements) continue;
            if (rdn.GetSingleElementType().Value == oid && rdn.GetSingleElementValue() is { } v) yield return v;
        }
    }
}
