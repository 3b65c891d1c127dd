using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.Client;

namespace Anvil.Toolforge.Accounts;

/// <summary>An issued client credential: PEM texts and the certificate's expiry.</summary>
public sealed record ClientCredential(string CertificatePem, string KeyPem, DateTimeOffset NotAfter);

/// <summary>
/// Gets a client certificate the way maintain-kubeusers does, through the CSR API: create a
/// CertificateSigningRequest for signer <c>kubernetes.io/kube-apiserver-client</c>, approve it through the
/// approval subresource ("Authorized User"), read <c>status.certificate</c>, delete the CSR. A CSR left over
/// from an interrupted run (409) is deleted and the request retried (T271847).
/// </summary>
/// <remarks>
/// Keys are ECDSA P-256, not maintain-kubeusers' RSA 4096: an RSA 4096 key takes about a second of CPU here,
/// which alone would exceed the budget for provisioning 1,000 tools.
/// </remarks>
public sealed class ClientCertificateIssuer(KubeClient client)
{
    public const string Signer = "kubernetes.io/kube-apiserver-client";

    /// <summary>How long to wait for the signer to fill in the certificate.</summary>
    public TimeSpan SigningTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Requested lifetime (spec.expirationSeconds); null leaves it to the signer (a year by default).</summary>
    public TimeSpan? Lifetime { get; init; }

    public async Task<ClientCredential> IssueAsync(string csrName, string commonName, string organization, CancellationToken ct)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var subject = new X500DistinguishedNameBuilder();
        subject.AddOrganizationName(organization);
        subject.AddCommonName(commonName);
        var request = new CertificateRequest(subject.Build(), key, HashAlgorithmName.SHA256);
        var pem = request.CreateSigningRequestPem();
        var spec = new JsonObject
        {
            ["request"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(pem)),
            ["signerName"] = Signer,
            ["usages"] = new JsonArray("digital signature", "key encipherment", "client auth"),
        };
        if (Lifetime is { } lifetime) spec["expirationSeconds"] = (long)lifetime.TotalSeconds;
        var csr = new JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new JsonObject { ["name"] = csrName },
            ["spec"] = spec,
        };

        JsonObject created;
        try
        {
            created = await client.CreateAsync(ToolforgeResources.Csrs, "", csr, ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsAlreadyExists)
        {
            await DeleteAsync(csrName, ct).ConfigureAwait(false);
            created = await client.CreateAsync(ToolforgeResources.Csrs, "", (JsonObject)csr.DeepClone(), ct).ConfigureAwait(false);
        }
        try
        {
            created["status"] = new JsonObject
            {
                ["conditions"] = new JsonArray(new JsonObject
                {
                    ["type"] = "Approved",
                    ["status"] = "True",
                    ["reason"] = "Authorized User",
                    ["message"] = "This certificate was approved by anvil tool-accounts",
                }),
            };
            await client.UpdateAsync(ToolforgeResources.Csrs, "", csrName, created, "approval", ct).ConfigureAwait(false);
            var certPem = await WaitForCertificateAsync(csrName, ct).ConfigureAwait(false);
            using var cert = X509Certificate2.CreateFromPem(certPem);
            return new ClientCredential(certPem, key.ExportPkcs8PrivateKeyPem(), new DateTimeOffset(cert.NotAfter.ToUniversalTime(), TimeSpan.Zero));
        }
        finally
        {
            await DeleteAsync(csrName, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<string> WaitForCertificateAsync(string name, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + SigningTimeout;
        var delay = 5;
        while (true)
        {
            var csr = await client.GetAsync(ToolforgeResources.Csrs, "", name, ct).ConfigureAwait(false);
            if ((string?)csr["status"]?["certificate"] is { Length: > 0 } b64) return Encoding.ASCII.GetString(Convert.FromBase64String(b64));
            foreach (var c in (csr["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>())
                if ((string?)c["type"] is "Failed" or "Denied" && (string?)c["status"] == "True")
                    throw new InvalidOperationException($"certificate signing request {name} {((string?)c["type"])!.ToLowerInvariant()}: {(string?)c["message"]}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"certificate signing request {name} was not signed within {SigningTimeout.TotalSeconds:0} s");
            await Task.Delay(delay, ct).ConfigureAwait(false);
            delay = Math.Min(delay * 2, 200);
        }
    }

    private async Task DeleteAsync(string name, CancellationToken ct)
    {
        try
        {
            await client.DeleteAsync(ToolforgeResources.Csrs, "", name, ct: ct).ConfigureAwait(false);
        }
        catch (ApiException e) when (e.IsNotFound)
        {
        }
    }
}
