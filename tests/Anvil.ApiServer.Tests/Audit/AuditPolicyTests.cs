using Anvil.ApiServer.Audit;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Endpoints;

namespace Anvil.ApiServer.Tests.Audit;

public sealed class AuditPolicyTests
{
    private static readonly AuditPolicy Policy = AuditPolicy.Parse("""
        apiVersion: audit.k8s.io/v1
        kind: Policy
        omitStages: [RequestReceived]
        rules:
          - level: None
            users: ["system:kube-proxy"]
            verbs: [watch]
            resources: [{group: "", resources: [endpoints, services]}]
          - level: None
            nonResourceURLs: ["/healthz*", /version]
          - level: RequestResponse
            userGroups: [auditors-watched]
          - level: Request
            resources: [{group: "", resources: [configmaps], resourceNames: [special]}]
          - level: Metadata
            resources: [{group: "", resources: ["pods/log", "*/status"]}]
            omitStages: [ResponseStarted]
          - level: None
            resources: [{group: apps, resources: ["deployments/*"]}]
          - level: Request
            namespaces: [kube-system]
          - level: RequestResponse
            resources: [{group: ""}]
          - level: Metadata
        """);

    private static readonly UserInfo Admin = new("admin", ["system:masters", "system:authenticated"]);

    [Theory]
    // users + verbs + resources all have to match
    [InlineData("system:kube-proxy", "", "GET", "/api/v1/namespaces/a/endpoints", true, "None")]
    [InlineData("system:kube-proxy", "", "GET", "/api/v1/namespaces/a/endpoints", false, "RequestResponse")]
    [InlineData("system:kube-proxy", "", "GET", "/api/v1/namespaces/a/pods", true, "RequestResponse")]
    // nonResourceURLs: exact and prefix; never a resource request
    [InlineData("admin", "", "GET", "/healthz/etcd", false, "None")]
    [InlineData("admin", "", "GET", "/version", false, "None")]
    [InlineData("admin", "", "GET", "/versions", false, "Metadata")]
    // userGroups
    [InlineData("bob", "auditors-watched", "GET", "/apis/apps/v1/deployments", false, "RequestResponse")]
    // resourceNames
    [InlineData("admin", "", "GET", "/api/v1/namespaces/a/configmaps/special", false, "Request")]
    [InlineData("admin", "", "GET", "/api/v1/namespaces/a/configmaps/other", false, "RequestResponse")]
    // subresource forms: exact, */status, resource/*
    [InlineData("admin", "", "GET", "/api/v1/namespaces/a/pods/p/log", false, "Metadata")]
    [InlineData("admin", "", "PUT", "/api/v1/namespaces/a/pods/p/status", false, "Metadata")]
    [InlineData("admin", "", "PATCH", "/apis/apps/v1/namespaces/a/deployments/d/scale", false, "None")]
    [InlineData("admin", "", "GET", "/apis/apps/v1/namespaces/a/deployments/d", false, "None")]
    // namespaces
    [InlineData("admin", "", "GET", "/apis/batch/v1/namespaces/kube-system/jobs", false, "Request")]
    [InlineData("admin", "", "GET", "/apis/batch/v1/namespaces/other/jobs", false, "Metadata")]
    // the whole core group
    [InlineData("admin", "", "DELETE", "/api/v1/nodes/n1", false, "RequestResponse")]
    // credentials are never logged beyond Metadata, whatever the rules say
    [InlineData("admin", "", "POST", "/api/v1/namespaces/a/secrets", false, "Metadata")]
    [InlineData("bob", "auditors-watched", "GET", "/api/v1/namespaces/a/secrets/s", false, "Metadata")]
    [InlineData("bob", "auditors-watched", "POST", "/apis/authentication.k8s.io/v1/tokenreviews", false, "Metadata")]
    [InlineData("admin", "", "POST", "/api/v1/namespaces/a/serviceaccounts/default/token", false, "Metadata")]
    [InlineData("bob", "auditors-watched", "GET", "/api/v1/namespaces/a/serviceaccounts/default", false, "RequestResponse")]
    public void FirstMatchingRuleDecides(string user, string group, string method, string path, bool watch, string level)
    {
        var u = new UserInfo(user, group.Length > 0 ? [group] : []);
        var decision = Policy.Evaluate(u, RequestInfo.Parse(method, path, watch));
        Assert.Equal(level, decision.Level.ToString());
    }

    [Fact]
    public void OmitStages_AreThePolicysPlusTheRules()
    {
        var d = Policy.Evaluate(Admin, RequestInfo.Parse("GET", "/api/v1/namespaces/a/pods/p/log", false));
        Assert.Equal([AuditStage.RequestReceived, AuditStage.ResponseStarted], d.OmitStages.Order().ToArray());
    }

    [Fact]
    public void UnauthenticatedRequests_MatchNoUserOrGroupRule()
    {
        var policy = AuditPolicy.Parse("""
            {"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[
              {"level":"RequestResponse","userGroups":["system:unauthenticated"]},
              {"level":"None","users":[""]},
              {"level":"Metadata"}]}
            """);
        Assert.Equal(AuditLevel.Metadata, policy.Evaluate(null, RequestInfo.Parse("GET", "/api/v1/pods", false)).Level);
    }

    [Fact]
    public void NoMatchingRule_IsNone()
    {
        var policy = AuditPolicy.Parse("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: [{level: Metadata, verbs: [create]}]\n");
        Assert.Equal(AuditLevel.None, policy.Evaluate(Admin, RequestInfo.Parse("GET", "/api/v1/pods", false)).Level);
    }

    [Fact]
    public void Default_IsMetadataForEverything_WithoutRequestReceived()
    {
        var d = AuditPolicy.Default.Evaluate(null, RequestInfo.Parse("GET", "/healthz", false));
        Assert.Equal(AuditLevel.Metadata, d.Level);
        Assert.Equal([AuditStage.RequestReceived], d.OmitStages.ToArray());
    }

    [Theory]
    [InlineData("rules: [{level: Everything}]", "rules[0].level: Unsupported value: \"Everything\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"")]
    [InlineData("rules: [{verbs: [get]}]", "rules[0].level: Required value")]
    [InlineData("rules: [{level: None, nonResourceURLs: [/x], resources: [{group: \"\"}]}]", "rules[0].nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs")]
    [InlineData("omitStages: [Done]\nrules: [{level: None}]", "omitStages: Unsupported value: \"Done\": supported values: \"RequestReceived\", \"ResponseStarted\", \"ResponseComplete\", \"Panic\"")]
    [InlineData("rules: []", "rules: Required value: the policy has no rules")]
    public void InvalidPolicies_AreRefused(string body, string message)
    {
        var e = Assert.Throws<FormatException>(() => AuditPolicy.Parse("apiVersion: audit.k8s.io/v1\nkind: Policy\n" + body + "\n"));
        Assert.Equal(message, e.Message);
    }
}
