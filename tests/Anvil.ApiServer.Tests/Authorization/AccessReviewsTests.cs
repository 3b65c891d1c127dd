using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Authorization;

/// <summary>authorization.k8s.io access reviews answered from the RBAC authorizer.</summary>
public sealed class AccessReviewsTests
{
    private static readonly UserInfo Bob = new("bob", ["devs", "system:authenticated"]);

    private static async Task<RbacFixture> FixtureAsync()
    {
        var f = await RbacFixture.CreateAsync(bootstrap: true, namespaces: ["tool-a", "tool-b"]);
        await f.CreateAsync("roles", "tool-a", """{"metadata":{"name":"pods"},"rules":[{"verbs":["get","list","delete"],"apiGroups":[""],"resources":["pods"]},{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["settings"]}]}""");
        await f.CreateAsync("rolebindings", "tool-a", """{"metadata":{"name":"bob"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pods"},"subjects":[{"kind":"Group","name":"devs","apiGroup":"rbac.authorization.k8s.io"}]}""");
        return f;
    }

    private static Task<JsonObject> Review(RbacFixture f, string resource, string ns, string json, UserInfo user) =>
        new AccessReviews(() => f.Rbac, f.Rbac).CreateAsync(f.Def(resource, AccessReviews.Group), ns, RbacFixture.Obj(json), user, default);

    [Theory]
    [InlineData("delete", "tool-a", "pods", "", true, """RBAC: allowed by RoleBinding "bob/tool-a" of Role "pods" to Group "devs" """)]
    [InlineData("delete", "tool-b", "pods", "", false, "")]
    [InlineData("create", "tool-a", "pods", "", false, "")]
    [InlineData("get", "tool-a", "configmaps", "settings", true, """RBAC: allowed by RoleBinding "bob/tool-a" of Role "pods" to Group "devs" """)]
    [InlineData("get", "tool-a", "configmaps", "other", false, "")]
    public async Task SelfSubjectAccessReview_AnswersForTheCaller(string verb, string ns, string resource, string name, bool allowed, string reason)
    {
        await using var f = await FixtureAsync();

        var spec = new JsonObject { ["resourceAttributes"] = new JsonObject { ["namespace"] = ns, ["verb"] = verb, ["resource"] = resource, ["name"] = name } };
        var r = await Review(f, "selfsubjectaccessreviews", "", new JsonObject { ["apiVersion"] = "authorization.k8s.io/v1", ["kind"] = "SelfSubjectAccessReview", ["spec"] = spec }.ToJsonString(), Bob);

        var status = allowed ? new JsonObject { ["allowed"] = true, ["reason"] = reason.TrimEnd() }.ToJsonString() : """{"allowed":false}""";
        Assert.Equal(status, r["status"]!.ToJsonString());
        Assert.Equal("""{"creationTimestamp":null}""", r["metadata"]!.ToJsonString());
        Assert.Equal("SelfSubjectAccessReview", (string?)r["kind"]);
    }

    [Fact]
    public async Task SelfSubjectAccessReview_NonResource()
    {
        await using var f = await FixtureAsync();

        var api = await Review(f, "selfsubjectaccessreviews", "", """{"spec":{"nonResourceAttributes":{"path":"/api","verb":"get"}}}""", Bob);
        var metrics = await Review(f, "selfsubjectaccessreviews", "", """{"spec":{"nonResourceAttributes":{"path":"/metrics","verb":"get"}}}""", Bob);

        Assert.Equal("""{"allowed":true,"reason":"RBAC: allowed by ClusterRoleBinding \u0022system:discovery\u0022 of ClusterRole \u0022system:discovery\u0022 to Group \u0022system:authenticated\u0022"}""", api["status"]!.ToJsonString());
        Assert.Equal("""{"allowed":false}""", metrics["status"]!.ToJsonString());
    }

    [Fact]
    public async Task SubjectAccessReview_AsksAboutTheSpecUser_WithExactlyItsGroups()
    {
        await using var f = await FixtureAsync();
        var admin = RbacFixture.Admin;

        var withGroup = await Review(f, "subjectaccessreviews", "", """{"spec":{"user":"carol","groups":["devs"],"resourceAttributes":{"namespace":"tool-a","verb":"list","resource":"pods"}}}""", admin);
        var withoutGroup = await Review(f, "subjectaccessreviews", "", """{"spec":{"user":"bob","resourceAttributes":{"namespace":"tool-a","verb":"list","resource":"pods"}}}""", admin);
        var masters = await Review(f, "subjectaccessreviews", "", """{"spec":{"groups":["system:masters"],"resourceAttributes":{"verb":"delete","resource":"nodes"}}}""", admin);

        Assert.Equal(true, (bool?)withGroup["status"]!["allowed"]);
        Assert.Equal(false, (bool?)withoutGroup["status"]!["allowed"]);
        Assert.Equal("""{"allowed":true}""", masters["status"]!.ToJsonString());
    }

    [Theory]
    [InlineData("subjectaccessreviews", """{"spec":{"resourceAttributes":{"verb":"get","resource":"pods"}}}""",
        """SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified""")]
    [InlineData("selfsubjectaccessreviews", """{"spec":{}}""",
        """SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified""")]
    public async Task Invalid_Specs(string resource, string json, string message)
    {
        await using var f = await FixtureAsync();

        var e = await Assert.ThrowsAsync<StatusError>(() => Review(f, resource, "", json, Bob));

        Assert.Equal(422, e.Code);
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public async Task LocalSubjectAccessReview_NamespaceMustMatch()
    {
        await using var f = await FixtureAsync();

        var ok = await Review(f, "localsubjectaccessreviews", "tool-a", """{"spec":{"user":"x","groups":["devs"],"resourceAttributes":{"namespace":"tool-a","verb":"get","resource":"pods"}}}""", RbacFixture.Admin);
        var e = await Assert.ThrowsAsync<StatusError>(() => Review(f, "localsubjectaccessreviews", "tool-a", """{"spec":{"user":"x","resourceAttributes":{"namespace":"tool-b","verb":"get","resource":"pods"}}}""", RbacFixture.Admin));

        Assert.Equal(true, (bool?)ok["status"]!["allowed"]);
        Assert.Equal("tool-a", (string?)ok["metadata"]!["namespace"]);
        Assert.Equal("spec.resourceAttributes.namespace must match namespace: tool-a", e.Message);
    }

    [Fact]
    public async Task SelfSubjectRulesReview_ListsRules()
    {
        await using var f = await FixtureAsync();

        var r = await Review(f, "selfsubjectrulesreviews", "", """{"spec":{"namespace":"tool-a"}}""", Bob);

        var status = r["status"]!.AsObject();
        Assert.Equal(false, (bool?)status["incomplete"]);
        Assert.Contains("""{"verbs":["get","list","delete"],"apiGroups":[""],"resources":["pods"]}""", status["resourceRules"]!.AsArray().Select(x => x!.ToJsonString()));
        Assert.Contains("""{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["settings"]}""", status["resourceRules"]!.AsArray().Select(x => x!.ToJsonString()));
        Assert.Contains("""{"verbs":["create"],"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"]}""", status["resourceRules"]!.AsArray().Select(x => x!.ToJsonString()));
        Assert.Contains("""{"verbs":["get"],"nonResourceURLs":["/healthz","/livez","/readyz","/version","/version/"]}""", status["nonResourceRules"]!.AsArray().Select(x => x!.ToJsonString()));
        Assert.Null(status["evaluationError"]);
    }

    [Fact]
    public async Task SelfSubjectRulesReview_ReportsResolutionErrors_AndNeedsANamespace()
    {
        await using var f = await FixtureAsync();
        await f.CreateAsync("rolebindings", "tool-a", """{"metadata":{"name":"dangling"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"nope"},"subjects":[{"kind":"User","name":"bob","apiGroup":"rbac.authorization.k8s.io"}]}""");

        var r = await Review(f, "selfsubjectrulesreviews", "", """{"spec":{"namespace":"tool-a"}}""", Bob);
        var e = await Assert.ThrowsAsync<StatusError>(() => Review(f, "selfsubjectrulesreviews", "", """{"spec":{}}""", Bob));

        Assert.Equal("""clusterrole.rbac.authorization.k8s.io "nope" not found""", (string?)r["status"]!["evaluationError"]);
        Assert.Equal("no namespace on request", e.Message);
    }
}
