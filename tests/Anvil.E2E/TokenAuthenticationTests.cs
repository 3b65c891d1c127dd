using System.Text.Json.Nodes;
using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>
/// Service account tokens (<c>kubectl create token</c>), bearer authentication, <c>auth whoami</c>, TokenReview
/// and <c>--as</c> impersonation. Assertions do not depend on RBAC denials.
/// </summary>
public sealed class TokenAuthenticationTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private async Task<string> TokenAsync(string ns, params string[] extra)
    {
        await GrantViewAsync(ns);
        var r = (await K(["create", "token", "default", "-n", ns, .. extra])).Succeeded();
        return r.Stdout.Trim();
    }

    /// <summary>RBAC gives a service account nothing by default: let ns/default read its namespace, as a user would.</summary>
    private async Task GrantViewAsync(string ns)
    {
        var bind = await K("create", "rolebinding", "default-view", "--clusterrole=view", $"--serviceaccount={ns}:default", "-n", ns);
        if (bind.ExitCode != 0 && !bind.Stderr.Contains("AlreadyExists", StringComparison.Ordinal)) bind.Succeeded();
        await EventuallyAsync($"{ns}:default may list pods", async () =>
        {
            var r = await K("auth", "can-i", "list", "pods", "-n", ns, $"--as=system:serviceaccount:{ns}:default");
            return (r.Stdout.Trim() == "yes", r.Stdout + r.Stderr);
        });
    }

    /// <summary>A kubeconfig with the admin's cluster but only a bearer token as credential.</summary>
    private string TokenKubeconfig(string token)
    {
        var lines = File.ReadAllLines(Server.KubeconfigPath)
            .Where(l => !l.TrimStart().StartsWith("client-key-data:", StringComparison.Ordinal))
            .Select(l => l.TrimStart().StartsWith("client-certificate-data:", StringComparison.Ordinal) ? "    token: " + token : l);
        var name = $"token-{Guid.NewGuid():N}.kubeconfig";
        Kubectl.WriteFile(name, string.Join('\n', lines) + "\n");
        return Path.Combine(Kubectl.WorkDir, name);
    }

    private static JsonObject Claims(string jwt) =>
        (JsonObject)JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(jwt.Split('.')[1]))!;

    private async Task<JsonObject> WhoAmIAsync(params string[] args)
    {
        var r = (await K(["auth", "whoami", "-o", "json", .. args])).Succeeded();
        return (JsonObject)JsonNode.Parse(r.Stdout)!["status"]!["userInfo"]!;
    }

    private static string[] Strings(JsonNode? array) => array!.AsArray().Select(x => (string)x!).ToArray();

    /// <summary>The serviceaccount controller creates <c>default</c> in every new namespace; wait for it.</summary>
    private Task DefaultServiceAccountAsync(string ns) =>
        EventuallyAsync("serviceaccount default in " + ns, async () =>
        {
            var r = await K("get", "serviceaccount", "default", "-n", ns, "-o", "name");
            return (r.Stdout == "serviceaccount/default\n", r.Stdout + r.Stderr);
        });

    [Fact]
    public async Task CreateToken_PrintsJwtOfTheServiceAccount()
    {
        var ns = await NamespaceAsync("tok-create");
        await DefaultServiceAccountAsync(ns);
        var uid = await JsonPathAsync(ns, "serviceaccount", "default", "{.metadata.uid}");

        var token = await TokenAsync(ns, "--duration=20m");

        var claims = Claims(token);
        Assert.Equal("system:serviceaccount:tok-create:default", (string?)claims["sub"]);
        Assert.Equal(["https://kubernetes.default.svc.cluster.local"], Strings(claims["aud"]));
        Assert.Equal(1200, (long)claims["exp"]! - (long)claims["iat"]!);
        Assert.Equal(uid, (string?)claims["kubernetes.io"]!["serviceaccount"]!["uid"]);
    }

    [Fact]
    public async Task Token_AuthenticatesAsTheServiceAccount()
    {
        var ns = await NamespaceAsync("tok-whoami");
        await DefaultServiceAccountAsync(ns);
        var uid = await JsonPathAsync(ns, "serviceaccount", "default", "{.metadata.uid}");
        var token = await TokenAsync(ns);
        var kubeconfig = TokenKubeconfig(token);

        var user = await WhoAmIAsync("--kubeconfig", kubeconfig);

        Assert.Equal("system:serviceaccount:tok-whoami:default", (string?)user["username"]);
        Assert.Equal(uid, (string?)user["uid"]);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:tok-whoami", "system:authenticated"], Strings(user["groups"]));
        Assert.Equal(["JTI=" + (string)Claims(token)["jti"]!], Strings(user["extra"]!["authentication.kubernetes.io/credential-id"]));
        var pods = await K("--kubeconfig", kubeconfig, "get", "pods", "-n", ns);
        Assert.Equal("No resources found in tok-whoami namespace.", pods.Succeeded().Stderr.Trim());
    }

    [Fact]
    public async Task WhoAmI_WithClientCertificate()
    {
        var r = (await K("auth", "whoami")).Succeeded();

        Assert.Equal(
            ["ATTRIBUTE   VALUE", "Username    admin", "Groups      [system:masters system:authenticated]"],
            r.StdoutLines);
    }

    [Fact]
    public async Task GarbageToken_MustLogIn()
    {
        var ns = await NamespaceAsync("tok-garbage");
        await DefaultServiceAccountAsync(ns);
        var kubeconfig = TokenKubeconfig(await TokenAsync(ns));
        // With discovery cached (as after any earlier command) the refused request itself reports the 401.
        (await K("--kubeconfig", kubeconfig, "get", "pods", "-n", ns)).Succeeded();

        var r = (await K("--kubeconfig", kubeconfig, "--token", "garbage", "get", "pods", "-n", ns)).Failed();

        Assert.Equal("error: You must be logged in to the server (Unauthorized)", r.StderrLines.LastOrDefault());
    }

    [Fact]
    public async Task TokenOfDeletedServiceAccount_MustLogIn()
    {
        var ns = await NamespaceAsync("tok-deleted");
        await DefaultServiceAccountAsync(ns);
        var kubeconfig = TokenKubeconfig(await TokenAsync(ns));
        (await K("--kubeconfig", kubeconfig, "get", "pods", "-n", ns)).Succeeded();

        (await K("delete", "serviceaccount", "default", "-n", ns)).Succeeded();
        var r = (await K("--kubeconfig", kubeconfig, "get", "pods", "-n", ns)).Failed();

        Assert.Equal("error: You must be logged in to the server (Unauthorized)", r.StderrLines.LastOrDefault());
    }

    [Theory]
    [InlineData("--duration=10s", "error: failed to create token: TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 10: may not specify a duration less than 10 minutes")]
    [InlineData("--bound-object-kind=Pod", "error: failed to create token: pods \"nope\" not found")]
    public async Task CreateToken_Refused(string flag, string message)
    {
        var ns = await NamespaceAsync("tok-refused-" + (flag.Contains("Pod", StringComparison.Ordinal) ? "pod" : "short"));
        await DefaultServiceAccountAsync(ns);
        var args = new List<string> { "create", "token", "default", "-n", ns, flag };
        if (flag.Contains("Pod", StringComparison.Ordinal)) args.Add("--bound-object-name=nope");

        var r = (await K([.. args])).Failed();

        Assert.Equal(message, r.Stderr.Trim());
    }

    [Fact]
    public async Task CreateToken_MissingServiceAccount()
    {
        var ns = await NamespaceAsync("tok-missing");

        var r = (await K("create", "token", "nope", "-n", ns)).Failed();

        Assert.Equal("error: failed to create token: serviceaccounts \"nope\" not found", r.Stderr.Trim());
    }

    [Fact]
    public async Task TokenReview_ReportsTheUserOfAToken()
    {
        var ns = await NamespaceAsync("tok-review");
        await DefaultServiceAccountAsync(ns);
        var token = await TokenAsync(ns);
        var review = $"apiVersion: authentication.k8s.io/v1\nkind: TokenReview\nspec:\n  token: {token}\n";

        // kubectl validates kinds without a PATCH path (reviews) client-side against /openapi/v2 protobuf, which
        // Anvil does not serve yet; the server still validates fields.
        var r = (await KWithInput(review, "create", "-f", "-", "-o", "json", "--validate=false")).Succeeded();

        var status = JsonNode.Parse(r.Stdout)!["status"]!;
        Assert.True((bool)status["authenticated"]!);
        Assert.Equal("system:serviceaccount:tok-review:default", (string?)status["user"]!["username"]);
        Assert.Equal(["https://kubernetes.default.svc.cluster.local"], Strings(status["audiences"]));
    }

    [Fact]
    public async Task Impersonation_WhoAmIShowsTheImpersonatedUser()
    {
        var bob = await WhoAmIAsync("--as=bob");
        var withGroups = await WhoAmIAsync("--as=bob", "--as-group=devs", "--as-group=qa", "--as-uid=u-1");
        var serviceAccount = await WhoAmIAsync("--as=system:serviceaccount:tool-a:builder");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"username":"bob","groups":["system:authenticated"]}"""), bob), bob.ToJsonString());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"username":"bob","uid":"u-1","groups":["devs","qa","system:authenticated"]}"""), withGroups), withGroups.ToJsonString());
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:tool-a", "system:authenticated"], Strings(serviceAccount["groups"]));
    }
}
