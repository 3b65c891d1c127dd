using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Certificates;
using static Anvil.ApiServer.Tests.Certificates.CsrTestData;

namespace Anvil.ApiServer.Tests.Certificates;

public sealed class CsrSignerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("anvil-csr-").FullName;
    private readonly ClusterPki _pki;
    private readonly CsrSigner _signer;
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    public CsrSignerTests()
    {
        _pki = ClusterPki.LoadOrCreate(_dir, []);
        _signer = new CsrSigner(_pki);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    static JsonObject Approved(JsonObject csr) => WithConditions(csr, Condition("Approved"));

    [Fact]
    public void Approved_IssuesClientCertificate_AsRequested()
    {
        var result = _signer.Handle(Approved(Csr(request: RequestPem("O=devs, O=qa, CN=alice"), usages: ["digital signature", "client auth"], expirationSeconds: 86400)), Now);

        Assert.Null(result.Failure);
        Assert.EndsWith("-----END CERTIFICATE-----\n", result.CertificatePem);
        using var cert = X509Certificate2.CreateFromPem(result.CertificatePem);
        Assert.True(_pki.IsTrustedClient(cert));
        var user = new ClientCertificateAuthenticator(_pki).Authenticate(cert);
        Assert.Equal("alice", user?.Name);
        Assert.Equal(["devs", "qa", "system:authenticated"], user?.Groups);
        var eku = cert.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single();
        Assert.Equal(["1.3.6.1.5.5.7.3.2"], eku.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value));
        Assert.Equal(X509KeyUsageFlags.DigitalSignature, cert.Extensions.OfType<X509KeyUsageExtension>().Single().KeyUsages);
        Assert.False(cert.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        // 24 h is not short: the end is backdated by 5 minutes like the start.
        Assert.Equal(TimeSpan.FromHours(24), cert.NotAfter - cert.NotBefore);
        Assert.Equal(Trunc(Now.AddMinutes(-5)), Trunc(cert.NotBefore.ToUniversalTime()));
    }

    static DateTimeOffset Trunc(DateTimeOffset t) => new(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second, TimeSpan.Zero);
    static DateTimeOffset Trunc(DateTime t) => Trunc(new DateTimeOffset(t, TimeSpan.Zero));

    [Theory]
    [InlineData(null, 365 * 24 * 60)]
    [InlineData(600L, 10)]
    [InlineData(3600L, 60)]
    [InlineData(100L * 365 * 24 * 3600, 365 * 24 * 60)]
    public void Duration_BetweenTenMinutesAndMax(long? seconds, int minutes)
    {
        Assert.Equal(TimeSpan.FromMinutes(minutes), _signer.Duration(seconds));
    }

    [Fact]
    public void ShortLived_EndNotBackdated()
    {
        var result = _signer.Handle(Approved(Csr(expirationSeconds: 3600)), Now);

        using var cert = X509Certificate2.CreateFromPem(result.CertificatePem);
        Assert.Equal(TimeSpan.FromMinutes(65), cert.NotAfter - cert.NotBefore);
    }

    [Fact]
    public void Lifetime_CappedByCa()
    {
        var signer = new CsrSigner(_pki, TimeSpan.FromDays(365 * 20));

        using var cert = X509Certificate2.CreateFromPem(signer.Handle(Approved(Csr()), Now).CertificatePem);

        Assert.Equal(_pki.Ca.NotAfter, cert.NotAfter);
    }

    public static TheoryData<JsonObject> NothingToDo => new()
    {
        Csr(),
        WithConditions(Csr(), Condition("Denied")),
        WithConditions(Csr(), Condition("Approved"), Condition("Failed", reason: "SignerValidationFailure")),
        Approved(Csr(signerName: "example.com/custom")),
    };

    [Theory]
    [MemberData(nameof(NothingToDo))]
    public void NotApprovedDeniedFailedOrOtherSigner_Nothing(JsonObject csr)
    {
        Assert.Equal(CsrSigningResult.Nothing, _signer.Handle(csr, Now));
    }

    [Fact]
    public void AlreadyIssued_Nothing()
    {
        var csr = Approved(Csr());
        csr["status"]!["certificate"] = "AAAA";

        Assert.Equal(CsrSigningResult.Nothing, _signer.Handle(csr, Now));
    }

    [Theory]
    [InlineData(new[] { "server auth" }, "invalid usage for client certificate: server auth")]
    [InlineData(new[] { "client auth", "server auth" }, "invalid usage for client certificate: server auth")]
    [InlineData(new[] { "digital signature" }, "missing required usage for client certificate: client auth")]
    [InlineData(new[] { "key encipherment", "digital signature", "client auth" }, null)]
    public void KubeApiServerClient_Usages(string[] usages, string? failure)
    {
        var result = _signer.Handle(Approved(Csr(usages: usages)), Now);

        Assert.Equal(failure, result.Failure);
        Assert.Equal(failure == null, result.CertificatePem != null);
    }

    [Theory]
    [InlineData("O=devs, CN=system:node:n1", null, new[] { "digital signature", "client auth" }, "subject organization is not system:nodes")]
    [InlineData("O=system:nodes, CN=system:node:n1", "n1.example.org", new[] { "digital signature", "client auth" }, "DNS subjectAltNames are not allowed")]
    [InlineData("O=system:nodes, CN=n1", null, new[] { "digital signature", "client auth" }, "subject common name does not begin with system:node:")]
    [InlineData("O=system:nodes, CN=system:node:n1", null, new[] { "client auth" }, "usages did not match [client auth digital signature key encipherment]")]
    [InlineData("O=system:nodes, CN=system:node:n1", null, new[] { "digital signature", "key encipherment", "client auth" }, null)]
    public void KubeletClient_Rules(string subject, string? dns, string[] usages, string? failure)
    {
        var csr = Approved(Csr(request: RequestPem(subject, dns == null ? null : [dns]), signerName: "kubernetes.io/kube-apiserver-client-kubelet", usages: usages));

        Assert.Equal(failure, _signer.Handle(csr, Now).Failure);
    }

    [Theory]
    [InlineData(null, null, "DNS or IP subjectAltName is required")]
    [InlineData("n1.example.org", null, null)]
    [InlineData(null, "10.0.0.1", null)]
    public void KubeletServing_Rules(string? dns, string? ip, string? failure)
    {
        var csr = Approved(Csr(request: RequestPem("O=system:nodes, CN=system:node:n1", dns == null ? null : [dns], ip == null ? null : [ip]),
            signerName: "kubernetes.io/kubelet-serving", usages: ["digital signature", "server auth"]));

        var result = _signer.Handle(csr, Now);

        Assert.Equal(failure, result.Failure);
        if (failure != null) return;
        using var cert = X509Certificate2.CreateFromPem(result.CertificatePem);
        var san = cert.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(dns == null ? [] : [dns], san.EnumerateDnsNames());
        Assert.Equal(ip == null ? [] : [ip], san.EnumerateIPAddresses().Select(a => a.ToString()));
    }
}
