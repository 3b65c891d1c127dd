using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;

namespace Anvil.ApiServer.Tests.Authorization;

public sealed class PolicyRuleTests
{
    private static readonly UserInfo U = new("u", ["system:authenticated"]);

    private static AuthorizationAttributes Resource(string verb, string group, string resource, string sub = "", string name = "", string ns = "ns") => new()
    {
        User = U, Verb = verb, IsResourceRequest = true, ApiGroup = group, Resource = resource, Subresource = sub, Name = name, Namespace = ns,
    };

    private static AuthorizationAttributes Path(string verb, string path) => new() { User = U, Verb = verb, Path = path };

    [Theory]
    // verbs
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}""", "get", "", "pods", "", "", true)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}""", "list", "", "pods", "", "", false)]
    [InlineData("""{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}""", "list", "", "pods", "", "", true)]
    [InlineData("""{"verbs":["*"],"apiGroups":[""],"resources":["pods"]}""", "deletecollection", "", "pods", "", "", true)]
    [InlineData("""{"verbs":["GET"],"apiGroups":[""],"resources":["pods"]}""", "get", "", "pods", "", "", false)]
    [InlineData("""{"verbs":["escalate"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"]}""", "escalate", "rbac.authorization.k8s.io", "roles", "", "", true)]
    // API groups
    [InlineData("""{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments"]}""", "get", "apps", "deployments", "", "", true)]
    [InlineData("""{"verbs":["get"],"apiGroups":["apps"],"resources":["deployments"]}""", "get", "extensions", "deployments", "", "", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["deployments"]}""", "get", "apps", "deployments", "", "", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":["*"],"resources":["deployments"]}""", "get", "apps", "deployments", "", "", true)]
    [InlineData("""{"verbs":["get"],"resources":["pods"]}""", "get", "", "pods", "", "", false)]
    // resources and subresources
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["*"]}""", "get", "", "pods", "status", "", true)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}""", "get", "", "pods", "status", "p", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pods/status"]}""", "get", "", "pods", "status", "p", true)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pods/status"]}""", "get", "", "pods", "", "p", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pods/log"]}""", "get", "", "pods", "status", "p", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pods/log"]}""", "get", "", "services", "log", "p", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":["*"],"resources":["*/status"]}""", "get", "apps", "deployments", "status", "d", true)]
    [InlineData("""{"verbs":["get"],"apiGroups":["*"],"resources":["*/status"]}""", "get", "apps", "deployments", "scale", "d", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":["*"],"resources":["*/scale"]}""", "get", "apps", "deployments", "", "d", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":["*"],"resources":["*/status"]}""", "get", "apps", "status", "", "d", false)]
    [InlineData("""{"verbs":["create"],"apiGroups":[""],"resources":["pods/exec"]}""", "create", "", "pods", "exec", "p", true)]
    [InlineData("""{"verbs":["update"],"apiGroups":[""],"resources":["namespaces/finalize"]}""", "update", "", "namespaces", "finalize", "ns", true)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pod"]}""", "get", "", "pods", "", "", false)]
    // resource names
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["a"]}""", "get", "", "configmaps", "", "a", true)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["a"]}""", "get", "", "configmaps", "", "b", false)]
    [InlineData("""{"verbs":["list"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["a"]}""", "list", "", "configmaps", "", "", false)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"],"resourceNames":["a","b"]}""", "get", "", "configmaps", "", "b", true)]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"]}""", "get", "", "configmaps", "", "anything", true)]
    [InlineData("""{"verbs":["update"],"apiGroups":[""],"resources":["pods/status"],"resourceNames":["p"]}""", "update", "", "pods", "status", "p", true)]
    // a URL rule never grants a resource request
    [InlineData("""{"verbs":["*"],"nonResourceURLs":["*"]}""", "get", "", "pods", "", "", false)]
    public void ResourceRequests(string rule, string verb, string group, string resource, string sub, string name, bool allowed)
    {
        var r = PolicyRule.FromJson(RbacFixture.Obj(rule));

        Assert.Equal(allowed, r.Allows(Resource(verb, group, resource, sub, name)));
    }

    [Theory]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/healthz"]}""", "get", "/healthz", true)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/healthz"]}""", "get", "/healthz/etcd", false)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/healthz"]}""", "post", "/healthz", false)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/healthz/*"]}""", "get", "/healthz/etcd", true)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/healthz/*"]}""", "get", "/healthz", false)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/healthz/*"]}""", "get", "/healthz/", true)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/api*"]}""", "get", "/apis/apps/v1", true)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/apis/*"]}""", "get", "/apis", false)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["*"]}""", "get", "/metrics", true)]
    [InlineData("""{"verbs":["*"],"nonResourceURLs":["/metrics"]}""", "put", "/metrics", true)]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/version","/version/"]}""", "get", "/version/", true)]
    // a resource rule never grants a URL
    [InlineData("""{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}""", "get", "/metrics", false)]
    public void NonResourceRequests(string rule, string verb, string path, bool allowed)
    {
        var r = PolicyRule.FromJson(RbacFixture.Obj(rule));

        Assert.Equal(allowed, r.Allows(Path(verb, path)));
    }

    [Theory]
    [InlineData("""{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}""", """{APIGroups:[""], Resources:["pods"], Verbs:["get"]}""")]
    [InlineData("""{"verbs":["get","list"],"apiGroups":["apps"],"resources":["deployments","replicasets"],"resourceNames":["a"]}""",
        """{APIGroups:["apps"], Resources:["deployments" "replicasets"], ResourceNames:["a"], Verbs:["get" "list"]}""")]
    [InlineData("""{"verbs":["get"],"nonResourceURLs":["/metrics"]}""", """{NonResourceURLs:["/metrics"], Verbs:["get"]}""")]
    public void CompactString_AsUpstream(string rule, string expected)
    {
        Assert.Equal(expected, PolicyRule.FromJson(RbacFixture.Obj(rule)).CompactString());
    }

    [Theory]
    [InlineData("""[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]""", """[{"verbs":["get","delete"],"apiGroups":["","apps"],"resources":["pods","deployments/scale"]}]""", "")]
    [InlineData("""[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]""", """[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]""", """{APIGroups:[""], Resources:["pods"], Verbs:["list"]}""")]
    [InlineData("""[{"verbs":["get"],"apiGroups":[""],"resources":["*/status"]}]""", """[{"verbs":["get"],"apiGroups":[""],"resources":["pods/status","pods"]}]""", """{APIGroups:[""], Resources:["pods"], Verbs:["get"]}""")]
    [InlineData("""[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"],"resourceNames":["a"]}]""", """[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"]}]""", """{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}""")]
    [InlineData("""[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"]}]""", """[{"verbs":["get"],"apiGroups":[""],"resources":["secrets"],"resourceNames":["a","b"]}]""", "")]
    [InlineData("""[{"verbs":["get"],"nonResourceURLs":["/healthz/*"]}]""", """[{"verbs":["get"],"nonResourceURLs":["/healthz/etcd","/metrics"]}]""", """{NonResourceURLs:["/metrics"], Verbs:["get"]}""")]
    [InlineData("""[]""", """[{"verbs":["get","watch","list"],"apiGroups":[""],"resources":["pods"]}]""", """{APIGroups:[""], Resources:["pods"], Verbs:["get" "watch" "list"]}""")]
    public void Covers_ReportsCompactedMissingRights(string owner, string servant, string missing)
    {
        var (covered, gaps) = PolicyCoverage.Covers(PolicyRule.ListFromJson(System.Text.Json.Nodes.JsonNode.Parse(owner)), PolicyRule.ListFromJson(System.Text.Json.Nodes.JsonNode.Parse(servant)));

        Assert.Equal(missing.Length == 0, covered);
        Assert.Equal(missing, string.Join("\n", PolicyCoverage.Compact(gaps).Select(r => r.CompactString())));
    }
}
