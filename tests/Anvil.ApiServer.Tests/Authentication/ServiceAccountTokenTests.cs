using System.Buffers.Text;
using System.Text;
using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;

namespace Anvil.ApiServer.Tests.Authentication;

public sealed class ServiceAccountTokenTests : IAsyncLifetime
{
    private TokenFixture _f = null!;
    private const string ApiAudience = "https://kubernetes.default.svc.cluster.local";

    public async Task InitializeAsync() => _f = await TokenFixture.CreateAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    private static JsonObject Payload(string token) =>
        (JsonObject)JsonNode.Parse(Base64Url.DecodeFromChars(token.Split('.')[1]))!;

    private static JsonObject Header(string token) =>
        (JsonObject)JsonNode.Parse(Base64Url.DecodeFromChars(token.Split('.')[0]))!;

    [Fact]
    public async Task IssuedTokenHasKubernetesClaimsAndAuthenticatesAsTheServiceAccount()
    {
        var sa = await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync();

        var header = Header(token);
        Assert.Equal("RS256", (string?)header["alg"]);
        Assert.Equal(_f.Issuer.SigningKey.KeyId, (string?)header["kid"]);
        var claims = Payload(token);
        var now = TokenFixture.Start.ToUnixTimeSeconds();
        Assert.Equal(
            ["aud", "exp", "iat", "iss", "jti", "kubernetes.io", "nbf", "sub"],
            claims.Select(p => p.Key).ToArray());
        Assert.Equal(ApiAudience, (string?)claims["iss"]);
        Assert.Equal("system:serviceaccount:ns:sa", (string?)claims["sub"]);
        Assert.Equal([ApiAudience], claims["aud"]!.AsArray().Select(a => (string)a!).ToArray());
        Assert.Equal((now, now, now + 3600), ((long)claims["iat"]!, (long)claims["nbf"]!, (long)claims["exp"]!));
        Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", (string)claims["jti"]!);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$$"""{"namespace":"ns","serviceaccount":{"name":"sa","uid":"{{{TokenFixture.Uid(sa)}}}"}}"""),
            claims["kubernetes.io"]));

        var result = await _f.AuthenticateAsync(token);

        Assert.True(result.Authenticated, result.Error);
        var user = result.User!;
        Assert.Equal("system:serviceaccount:ns:sa", user.Name);
        Assert.Equal(TokenFixture.Uid(sa), user.Uid);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:ns", "system:authenticated"], user.Groups);
        Assert.Equal(["authentication.kubernetes.io/credential-id"], user.Extra.Keys);
        Assert.Equal(["JTI=" + (string)claims["jti"]!], user.Extra["authentication.kubernetes.io/credential-id"]);
        Assert.Equal([ApiAudience], result.Audiences);
    }

    [Fact]
    public async Task PodBoundTokenCarriesPodAndNodeInUserExtra()
    {
        await _f.ServiceAccountAsync();
        var node = await _f.CreateAsync("nodes", """{"metadata":{"name":"n1"}}""");
        var pod = await _f.PodAsync(nodeName: "n1");
        var token = await _f.TokenAsync("""{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p"}}""");

        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$$"""{"name":"n1","uid":"{{{TokenFixture.Uid(node)}}}"}"""), Payload(token)["kubernetes.io"]!["node"]));
        var user = (await _f.AuthenticateAsync(token)).User!;

        Assert.Equal(
            ["authentication.kubernetes.io/credential-id", "authentication.kubernetes.io/node-name", "authentication.kubernetes.io/node-uid",
             "authentication.kubernetes.io/pod-name", "authentication.kubernetes.io/pod-uid"],
            user.Extra.Keys.Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(["p"], user.Extra["authentication.kubernetes.io/pod-name"]);
        Assert.Equal([TokenFixture.Uid(pod)], user.Extra["authentication.kubernetes.io/pod-uid"]);
        Assert.Equal(["n1"], user.Extra["authentication.kubernetes.io/node-name"]);
    }

    [Fact]
    public async Task ValidUntilExpiryPlusOneMinuteOfLeeway()
    {
        await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync("""{"expirationSeconds":600}""");

        _f.Time.Now = TokenFixture.Start.AddSeconds(600 + 60);
        Assert.True((await _f.AuthenticateAsync(token)).Authenticated);

        _f.Time.Now = TokenFixture.Start.AddSeconds(600 + 61);
        var expired = await _f.AuthenticateAsync(token);
        Assert.False(expired.Authenticated);
        Assert.Equal("service account token has expired", expired.Error);
    }

    [Fact]
    public async Task NotValidBeforeIssue()
    {
        await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync();
        _f.Time.Now = TokenFixture.Start.AddSeconds(-61);

        Assert.Equal("service account token is not valid yet", (await _f.AuthenticateAsync(token)).Error);
    }

    [Fact]
    public async Task TokenSignedByAnotherKeyIsRefused()
    {
        var sa = await _f.ServiceAccountAsync();
        var other = new ServiceAccountTokenIssuer(ServiceAccountSigningKey.Generate(), _f.Time);
        var forged = other.Sign(other.Claims("ns", new TokenObjectReference("sa", TokenFixture.Uid(sa)), [ApiAudience], 3600));

        var result = await _f.AuthenticateAsync(forged);

        Assert.False(result.Authenticated);
        Assert.Equal("go-jose/go-jose: error in cryptographic primitive", result.Error);
    }

    [Fact]
    public async Task TamperedPayloadIsRefused()
    {
        await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync();
        var parts = token.Split('.');
        var claims = Payload(token);
        claims["sub"] = "system:serviceaccount:kube-system:admin";
        var tampered = parts[0] + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims.ToJsonString())) + "." + parts[2];

        Assert.Equal("go-jose/go-jose: error in cryptographic primitive", (await _f.AuthenticateAsync(tampered)).Error);
    }

    [Fact]
    public async Task UnsignedAlgNoneTokenIsRefused()
    {
        await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync();
        var parts = token.Split('.');
        var none = Base64Url.EncodeToString("""{"alg":"none"}"""u8) + "." + parts[1] + ".";

        Assert.False((await _f.AuthenticateAsync(none)).Authenticated);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("a.b.c")]
    [InlineData("")]
    public async Task TokensThatAreNotOursAreNotRecognised(string token)
    {
        var result = await _f.AuthenticateAsync(token);

        Assert.Equal((false, ""), (result.Authenticated, result.Error));
        var bearer = await new BearerTokenAuthenticator([_f.Authenticator]).AuthenticateTokenAsync(token, null, default);
        Assert.Equal((false, "invalid bearer token"), (bearer.Authenticated, bearer.Error));
    }

    [Fact]
    public async Task TokenForAnotherAudienceIsRefusedByTheApiServer()
    {
        await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync("""{"audiences":["vault"]}""");

        var result = await _f.AuthenticateAsync(token);

        Assert.False(result.Authenticated);
        Assert.Equal("token audiences [\"vault\"] is invalid for the target audiences [\"https://kubernetes.default.svc.cluster.local\"]", result.Error);
        var forVault = await _f.AuthenticateAsync(token, ["vault", "other"]);
        Assert.True(forVault.Authenticated);
        Assert.Equal(["vault"], forVault.Audiences);
    }

    [Fact]
    public async Task DeletedServiceAccountInvalidatesItsTokens()
    {
        await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync();
        await _f.DeleteAsync("serviceaccounts", "sa");

        Assert.Equal("serviceaccounts \"sa\" not found", (await _f.AuthenticateAsync(token)).Error);
    }

    [Fact]
    public async Task RecreatedServiceAccountDoesNotInheritOldTokens()
    {
        var old = await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync();
        await _f.DeleteAsync("serviceaccounts", "sa");
        var recreated = await _f.ServiceAccountAsync();

        var result = await _f.AuthenticateAsync(token);

        Assert.False(result.Authenticated);
        Assert.Equal($"service account UID ({TokenFixture.Uid(recreated)}) does not match claim ({TokenFixture.Uid(old)})", result.Error);
    }

    [Fact]
    public async Task TokenDiesWithItsBoundPod()
    {
        await _f.ServiceAccountAsync();
        await _f.PodAsync();
        var token = await _f.TokenAsync("""{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p"}}""");
        Assert.True((await _f.AuthenticateAsync(token)).Authenticated);

        await _f.DeleteAsync("pods", "p");

        Assert.Equal("service account token has been invalidated", (await _f.AuthenticateAsync(token)).Error);
    }

    [Fact]
    public async Task TokenBoundToARecreatedPodIsRefused()
    {
        await _f.ServiceAccountAsync();
        var old = await _f.PodAsync();
        var token = await _f.TokenAsync("""{"boundObjectRef":{"kind":"Pod","apiVersion":"v1","name":"p"}}""");
        await _f.DeleteAsync("pods", "p");
        var recreated = await _f.PodAsync();

        Assert.Equal($"pod UID ({TokenFixture.Uid(recreated)}) does not match service account pod ref claim ({TokenFixture.Uid(old)})",
            (await _f.AuthenticateAsync(token)).Error);
    }

    [Fact]
    public async Task TokenDiesWithItsBoundSecret()
    {
        await _f.ServiceAccountAsync();
        await _f.CreateAsync("secrets", """{"metadata":{"name":"s"}}""");
        var token = await _f.TokenAsync("""{"boundObjectRef":{"kind":"Secret","apiVersion":"v1","name":"s"}}""");
        Assert.True((await _f.AuthenticateAsync(token)).Authenticated);

        await _f.DeleteAsync("secrets", "s");

        Assert.Equal("service account token has been invalidated", (await _f.AuthenticateAsync(token)).Error);
    }

    [Fact]
    public async Task TokenDiesWithItsBoundNode()
    {
        await _f.ServiceAccountAsync();
        await _f.CreateAsync("nodes", """{"metadata":{"name":"n1"}}""");
        var token = await _f.TokenAsync("""{"boundObjectRef":{"kind":"Node","apiVersion":"v1","name":"n1"}}""");
        Assert.Equal(["n1"], (await _f.AuthenticateAsync(token)).User!.Extra["authentication.kubernetes.io/node-name"]);

        await _f.DeleteAsync("nodes", "n1");

        Assert.Equal("service account token has been invalidated", (await _f.AuthenticateAsync(token)).Error);
    }

    [Fact]
    public async Task SigningKeyIsCreatedPrivateAndReloaded()
    {
        var dir = Directory.CreateTempSubdirectory("anvil-sa-key-").FullName;
        try
        {
            var pki = Path.Combine(dir, "pki");
            var first = ServiceAccountSigningKey.LoadOrCreate(pki);
            var second = ServiceAccountSigningKey.LoadOrCreate(pki);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(pki, "sa.key")));
            Assert.Equal(first.KeyId, second.KeyId);
            Assert.Contains("BEGIN PRIVATE KEY", File.ReadAllText(Path.Combine(pki, "sa.key")));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
