using System.Net;
using System.Text.Json.Nodes;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>Requests without valid credentials are 401 Unauthorized.</summary>
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
    public async Task Kubectl_WithUnknownToken_MustLogIn()
    {
        // The admin kubeconfig with a made-up bearer token instead of the client certificate. (A kubeconfig
        // with no credentials at all makes kubectl prompt for a username before it sends anything.)
        var kubeconfig = File.ReadAllText(Server.KubeconfigPath);
        var lines = kubeconfig.Split('\n').Where(l =>
            !l.TrimStart().StartsWith("client-certificate-data:", StringComparison.Ordinal) &&
            !l.TrimStart().StartsWith("client-key-data:", StringComparison.Ordinal)).ToList();
        var user = lines.FindIndex(l => l.TrimStart() == "user:");
        Assert.True(user >= 0, kubeconfig);
        lines.Insert(user + 1, new string(' ', lines[user].Length - lines[user].TrimStart().Length + 2) + "token: not-a-valid-token");
        var path = Path.Combine(Kubectl.WorkDir, "anonymous.kubeconfig");
        await File.WriteAllTextAsync(path, string.Join('\n', lines));

        var r = (await Kubectl.RunAsync(["--kubeconfig", path, "get", "namespaces"], stdin: null)).Failed();

        // Discovery (/api) is the first request; client-go reports its 401 with this generic text.
        Assert.Equal("error: You must be logged in to the server (the server has asked for the client to provide credentials)", r.StderrLines.LastOrDefault());
    }
}
