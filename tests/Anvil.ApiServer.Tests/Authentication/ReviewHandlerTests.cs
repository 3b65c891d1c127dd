using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Endpoints;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Tests.Store;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Authentication;

public sealed class ReviewHandlerTests : IAsyncLifetime
{
    private TokenFixture _f = null!;

    public async Task InitializeAsync() => _f = await TokenFixture.CreateAsync();
    public async Task DisposeAsync() => await _f.DisposeAsync();

    private Task<JsonObject> ReviewAsync(string body, string resource = "tokenreviews", UserInfo? user = null)
    {
        var def = _f.Store.Resource(resource, "authentication.k8s.io");
        IVirtualCreateHandler handler = resource == "tokenreviews"
            ? new TokenReviewHandler(new BearerTokenAuthenticator([_f.Authenticator]), _f.Issuer.ApiAudiences)
            : new SelfSubjectReviewHandler(_f.Time);
        return handler.CreateAsync(new VirtualCreateRequest(def, "", StoreFixture.Obj(body), new WriteOptions { User = user ?? UserInfo.Anonymous }), default);
    }

    [Fact]
    public async Task TokenReviewOfValidTokenReturnsUserAndAudiences()
    {
        var sa = await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync();

        var review = await ReviewAsync($$$"""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"{{{token}}}"}}""");

        var jti = (string)JsonNode.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(token.Split('.')[1]))!["jti"]!;
        var expected = $$$"""
            {"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":null},"spec":{"token":"{{{token}}}"},
             "status":{"authenticated":true,
               "user":{"username":"system:serviceaccount:ns:sa","uid":"{{{TokenFixture.Uid(sa)}}}",
                       "groups":["system:serviceaccounts","system:serviceaccounts:ns","system:authenticated"],
                       "extra":{"authentication.kubernetes.io/credential-id":["JTI={{{jti}}}"]}},
               "audiences":["https://kubernetes.default.svc.cluster.local"]}}
            """;
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), review), review.ToJsonString());
    }

    [Theory]
    [InlineData("garbage", """{"user":{},"error":"invalid bearer token"}""")]
    public async Task TokenReviewOfBadTokenIsUnauthenticatedWithError(string token, string status)
    {
        var review = await ReviewAsync($$$"""{"spec":{"token":"{{{token}}}"}}""");

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(status), review["status"]), review.ToJsonString());
    }

    [Fact]
    public async Task TokenReviewChecksRequestedAudiences()
    {
        await _f.ServiceAccountAsync();
        var token = await _f.TokenAsync("""{"audiences":["vault"]}""");

        var forVault = await ReviewAsync($$$"""{"spec":{"token":"{{{token}}}","audiences":["vault"]}}""");
        var forApi = await ReviewAsync($$$"""{"spec":{"token":"{{{token}}}"}}""");

        Assert.Equal(["vault"], forVault["status"]!["audiences"]!.AsArray().Select(a => (string)a!).ToArray());
        Assert.Null(forApi["status"]!["authenticated"]);
        Assert.Equal("token audiences [\"vault\"] is invalid for the target audiences [\"https://kubernetes.default.svc.cluster.local\"]", (string?)forApi["status"]!["error"]);
    }

    [Fact]
    public async Task TokenReviewWithoutTokenIsBadRequest()
    {
        var e = await Assert.ThrowsAsync<StatusError>(() => ReviewAsync("""{"spec":{}}"""));

        Assert.Equal((400, "token is required for TokenReview in authentication"), (e.Code, e.Message));
    }

    [Fact]
    public async Task SelfSubjectReviewReturnsTheCaller()
    {
        var user = new UserInfo("bob", ["devs", "system:authenticated"], "u-1")
        {
            Extra = new Dictionary<string, IReadOnlyList<string>> { ["scopes"] = ["view"] },
        };

        var review = await ReviewAsync("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview","metadata":{"creationTimestamp":null},"status":{"userInfo":{}}}""", "selfsubjectreviews", user);

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""
            {"kind":"SelfSubjectReview","apiVersion":"authentication.k8s.io/v1","metadata":{"creationTimestamp":"2026-11-21T12:00:00Z"},
             "status":{"userInfo":{"username":"bob","uid":"u-1","groups":["devs","system:authenticated"],"extra":{"scopes":["view"]}}}}
            """), review), review.ToJsonString());
    }

    [Fact]
    public async Task SelfSubjectReviewOmitsEmptyUidAndExtra()
    {
        var review = await ReviewAsync("{}", "selfsubjectreviews", new UserInfo("admin", ["system:masters", "system:authenticated"]));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"username":"admin","groups":["system:masters","system:authenticated"]}"""), review["status"]!["userInfo"]));
    }
}
