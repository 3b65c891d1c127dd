using Anvil.ApiServer.Authentication;
using Anvil.Machinery.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Anvil.ApiServer.Tests.Authentication;

public sealed class ImpersonationTests
{
    private static readonly UserInfo Alice = new("alice", ["devs", "system:authenticated"]);

    private static HeaderDictionary Headers(params (string Name, string[] Values)[] headers)
    {
        var h = new HeaderDictionary();
        foreach (var (name, values) in headers) h[name] = new StringValues(values);
        return h;
    }

    private static async Task<(UserInfo User, RecordingAuthorizer Authorizer)> ActAsync(HeaderDictionary headers, Func<Anvil.ApiServer.Authorization.AuthorizationAttributes, bool>? allow = null)
    {
        var authorizer = new RecordingAuthorizer(allow ?? (_ => true));
        var requests = Impersonation.Parse(headers);
        var user = await Impersonation.ActAsAsync(Alice, requests, headers["Impersonate-Group"].Count > 0, authorizer, default);
        return (user, authorizer);
    }

    [Fact]
    public void NoHeadersNoRequests()
    {
        Assert.Empty(Impersonation.Parse(Headers(("Authorization", ["Bearer x"]))));
    }

    [Fact]
    public async Task UserGetsAuthenticatedGroupAndEachImpersonationIsAuthorized()
    {
        var (user, authorizer) = await ActAsync(Headers(("Impersonate-User", ["bob"])));

        Assert.Equal(("bob", ""), (user.Name, user.Uid));
        Assert.Equal(["system:authenticated"], user.Groups);
        var asked = Assert.Single(authorizer.Asked);
        Assert.Equal((Alice, "impersonate", true, "", "users", "", "bob", ""),
            (asked.User, asked.Verb, asked.IsResourceRequest, asked.ApiGroup, asked.Resource, asked.Subresource, asked.Name, asked.Namespace));
    }

    [Fact]
    public async Task GroupsUidAndExtrasAreImpersonatedWithTheirOwnResources()
    {
        var (user, authorizer) = await ActAsync(Headers(
            ("Impersonate-User", ["bob"]),
            ("Impersonate-Group", ["qa", "ops"]),
            ("Impersonate-Uid", ["u-1"]),
            ("Impersonate-Extra-Scopes", ["view", "edit"]),
            ("impersonate-extra-acme.com%2Fproject", ["p1"])));

        Assert.Equal(["qa", "ops", "system:authenticated"], user.Groups);
        Assert.Equal("u-1", user.Uid);
        Assert.Equal(["view", "edit"], user.Extra["scopes"]);
        Assert.Equal(["p1"], user.Extra["acme.com/project"]);
        Assert.Equal(
            ["/users/bob", "/groups/qa", "/groups/ops", "authentication.k8s.io/userextras/scopes/view", "authentication.k8s.io/userextras/scopes/edit",
             "authentication.k8s.io/userextras/acme.com/project/p1", "authentication.k8s.io/uids/u-1"],
            authorizer.Asked.Select(a => $"{a.ApiGroup}/{a.Resource}/{(a.Subresource.Length > 0 ? a.Subresource + "/" : "")}{a.Name}").ToArray());
    }

    [Fact]
    public async Task ServiceAccountUserIsAuthorizedAsServiceAccountInItsNamespaceWithItsGroups()
    {
        var (user, authorizer) = await ActAsync(Headers(("Impersonate-User", ["system:serviceaccount:tool-a:builder"])));

        Assert.Equal("system:serviceaccount:tool-a:builder", user.Name);
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:tool-a", "system:authenticated"], user.Groups);
        var asked = Assert.Single(authorizer.Asked);
        Assert.Equal(("serviceaccounts", "tool-a", "builder", ""), (asked.Resource, asked.Namespace, asked.Name, asked.ApiGroup));
    }

    [Theory]
    [InlineData("system:serviceaccount:Bad_NS:x")]
    [InlineData("system:serviceaccount:a:b:c")]
    public async Task MalformedServiceAccountNameIsAnOrdinaryUser(string name)
    {
        var (user, authorizer) = await ActAsync(Headers(("Impersonate-User", [name])));

        Assert.Equal("users", Assert.Single(authorizer.Asked).Resource);
        Assert.Equal(["system:authenticated"], user.Groups);
    }

    [Theory]
    [InlineData(new[] { "system:authenticated", "qa" }, new[] { "system:authenticated", "qa" })]
    [InlineData(new[] { "system:unauthenticated" }, new[] { "system:unauthenticated" })]
    public async Task AuthenticatedGroupIsNotAddedTwiceNorToUnauthenticated(string[] groups, string[] expected)
    {
        var (user, _) = await ActAsync(Headers(("Impersonate-User", ["bob"]), ("Impersonate-Group", groups)));

        Assert.Equal(expected, user.Groups);
    }

    [Fact]
    public async Task AnonymousGetsUnauthenticatedGroup()
    {
        var (user, _) = await ActAsync(Headers(("Impersonate-User", ["system:anonymous"])));

        Assert.Equal(["system:unauthenticated"], user.Groups);
    }

    [Theory]
    [InlineData("Impersonate-User", "bob", "users \"bob\" is forbidden: User \"alice\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope")]
    [InlineData("Impersonate-User", "system:serviceaccount:ns1:sa", "serviceaccounts \"sa\" is forbidden: User \"alice\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"ns1\"")]
    [InlineData("Impersonate-Uid", "u-1", "uids.authentication.k8s.io \"u-1\" is forbidden: User \"alice\" cannot impersonate resource \"uids\" in API group \"authentication.k8s.io\" at the cluster scope")]
    [InlineData("Impersonate-Group", "admins", "groups \"admins\" is forbidden: User \"alice\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope")]
    [InlineData("Impersonate-Extra-Scopes", "all", "userextras.authentication.k8s.io \"all\" is forbidden: User \"alice\" cannot impersonate resource \"userextras/scopes\" in API group \"authentication.k8s.io\" at the cluster scope")]
    public async Task DeniedImpersonationIsForbiddenWithKubernetesMessage(string header, string value, string message)
    {
        var headers = header == "Impersonate-User" ? Headers((header, [value])) : Headers(("Impersonate-User", ["carol"]), (header, [value]));

        var e = await Assert.ThrowsAsync<StatusError>(() => ActAsync(headers, a => a.Resource == "users" && a.Name == "carol"));

        Assert.Equal((403, "Forbidden", message), (e.Code, e.Reason, e.Message));
    }

    [Theory]
    [InlineData("Impersonate-Group", "requested [{Group  devs    } {Group  qa    }] without impersonating a user")]
    [InlineData("Impersonate-Uid", "requested [{UID  devs  authentication.k8s.io/v1  }] without impersonating a user")]
    [InlineData("Impersonate-Extra-Scopes", "requested [{UserExtra  devs  authentication.k8s.io/v1  scopes}] without impersonating a user")]
    public void ImpersonationWithoutUserIsRefused(string header, string message)
    {
        var values = header == "Impersonate-Group" ? new[] { "devs", "qa" } : ["devs"];

        var e = Assert.Throws<ImpersonationHeaderException>(() => Impersonation.Parse(Headers((header, values))));

        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task ApplyAnswersPlainInternalErrorForGroupsWithoutUser()
    {
        var ctx = new DefaultHttpContext();
        ctx.Request.Path = "/api/v1/pods";
        ctx.Request.Headers["Impersonate-Group"] = "devs";
        ctx.Response.Body = new MemoryStream();

        var user = await Impersonation.ApplyAsync(ctx, Alice, new RecordingAuthorizer(_ => true), default);

        Assert.Null(user);
        Assert.Equal((500, "text/plain; charset=utf-8"), (ctx.Response.StatusCode, ctx.Response.ContentType));
        Assert.Equal("Internal Server Error: \"/api/v1/pods\": requested [{Group  devs    }] without impersonating a user\n",
            System.Text.Encoding.UTF8.GetString(((MemoryStream)ctx.Response.Body).ToArray()));
    }

    [Fact]
    public async Task ApplyWithoutHeadersKeepsTheUser()
    {
        var ctx = new DefaultHttpContext();

        Assert.Same(Alice, await Impersonation.ApplyAsync(ctx, Alice, new RecordingAuthorizer(_ => false), default));
    }
}
