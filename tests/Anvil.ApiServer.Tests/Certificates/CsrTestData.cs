using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace Anvil.ApiServer.Tests.Certificates;

/// <summary>PKCS#10 requests and CSR objects for the certificate tests.</summary>
internal static class CsrTestData
{
    /// <summary>A PEM CSR for <paramref name="subject"/> with a new P-256 key, optionally with DNS/IP SANs.</summary>
    public static string RequestPem(string subject = "O=devs, CN=alice", string[]? dns = null, string[]? ips = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (dns != null || ips != null)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var d in dns ?? []) san.AddDnsName(d);
            foreach (var ip in ips ?? []) san.AddIpAddress(System.Net.IPAddress.Parse(ip));
            req.CertificateExtensions.Add(san.Build());
        }
        return req.CreateSigningRequestPem();
    }

    public static string Base64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));

    /// <summary>A CSR object as a client sends it.</summary>
    public static JsonObject Csr(string name = "alice", string? request = null, string signerName = "kubernetes.io/kube-apiserver-client",
        string[]? usages = null, long? expirationSeconds = null)
    {
        var spec = new JsonObject
        {
            ["request"] = Base64(request ?? RequestPem()),
            ["signerName"] = signerName,
            ["usages"] = new JsonArray((usages ?? ["client auth"]).Select(u => (JsonNode?)JsonValue.Create(u)).ToArray()),
        };
        if (expirationSeconds != null) spec["expirationSeconds"] = expirationSeconds;
        return new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = spec,
        };
    }

    public static JsonObject Condition(string type, string status = "True", string reason = "KubectlApprove") => new()
    {
        ["type"] = type,
        ["status"] = status,
        ["reason"] = reason,
        ["message"] = "test",
        ["lastUpdateTime"] = "2026-01-02T03:04:05Z",
        ["lastTransitionTime"] = "2026-01-02T03:04:05Z",
    };

    public static JsonObject WithConditions(JsonObject csr, params JsonObject[] conditions)
    {
        var copy = (JsonObject)csr.DeepClone();
        var status = copy["status"] as JsonObject ?? new JsonObject();
        copy["status"] = status;
        status["conditions"] = new JsonArray(conditions.Select(c => (JsonNode?)c.DeepClone()).ToArray());
        return copy;
    }
}
