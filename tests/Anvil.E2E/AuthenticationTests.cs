using System.Net;
using System.Text.Json.Nodes;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>Requests without credentials are 401 Unauthorized.</summary>
public sealed class AuthenticationTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    [Theory]
    [InlineData("/api")]
    [InlineData("/api/v1/namespaces")]
    [InlineData("/apis/apps/v1/namespaces/default/deployments")]
    public async Task NoClientCertificate_Unauthorized(string path)
    {
        using var anonymous = RawApi.For(Server, withClientCertificate: false);

        var r = await anonymous.GetAsync(path);

        Assert.True(r.Status == HttpStatusCode.Unauthorized, r.ToString());
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"""),
            r.Json), r.ToString());
    }

    [Fact]
    public async Task WithClientCertificate_Authorized()
    {
        var r = await Api.GetAsync("/api");

        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        Assert.Equal("APIVersions", (string?)r.Json["kind"]);
    }

    [Fact]
    public async Task Kubectl_WithCertificateFromAnotherCa_MustLogIn()
    {
        // A client certificate the cluster CA did not sign: TLS accepts it, authentication must not.
        // (A kubeconfig with no credentials at all makes kubectl prompt for a password instead.)
        using var key = System.Security.Cryptography.ECDsa.Create();
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=admin, O=system:masters", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using var forged = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        string B64(string pem) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(pem));
        var kubeconfig = string.Join('\n', File.ReadAllText(Server.KubeconfigPath).Split('\n').Select(l =>
            l.TrimStart().StartsWith("client-certificate-data:", StringComparison.Ordinal) ? "    client-certificate-data: " + B64(forged.ExportCertificatePem())
            : l.TrimStart().StartsWith("client-key-data:", StringComparison.Ordinal) ? "    client-key-data: " + B64(key.ExportPkcs8PrivateKeyPem())
            : l));
        var path = Path.Combine(Kubectl.WorkDir, "forged.kubeconfig");
        await File.WriteAllTextAsync(path, kubeconfig);

        var r = (await Kubectl.RunAsync(["--kubeconfig", path, "get", "namespaces"], stdin: null)).Failed();

        // Discovery fails first; kubectl words a 401 there this way against any cluster.
        Assert.Equal("error: You must be logged in to the server (the server has asked for the client to provide credentials)", r.StderrLines.LastOrDefault());
    }
}
