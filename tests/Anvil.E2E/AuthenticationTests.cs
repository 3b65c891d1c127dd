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
    public async Task Kubectl_WithoutCredentials_MustLogIn()
    {
        // The admin kubeconfig minus its user: the server is trusted, but the client presents nothing.
        var kubeconfig = File.ReadAllText(Server.KubeconfigPath);
        var anonymous = string.Join('\n', kubeconfig.Split('\n').Where(l =>
            !l.TrimStart().StartsWith("client-certificate-data:", StringComparison.Ordinal) &&
            !l.TrimStart().StartsWith("client-key-data:", StringComparison.Ordinal)));
        var path = Path.Combine(Kubectl.WorkDir, "anonymous.kubeconfig");
        await File.WriteAllTextAsync(path, anonymous);

        var r = (await Kubectl.RunAsync(["--kubeconfig", path, "get", "namespaces"], stdin: null)).Failed();

        Assert.Equal("error: You must be logged in to the server (Unauthorized)", r.StderrLines.LastOrDefault());
    }
}
