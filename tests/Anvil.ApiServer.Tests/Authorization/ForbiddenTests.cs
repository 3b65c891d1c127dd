using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;

namespace Anvil.ApiServer.Tests.Authorization;

/// <summary>kube-apiserver's 403 text (responsewriters.ForbiddenStatusError + errors.NewForbidden).</summary>
public sealed class ForbiddenTests
{
    [Theory]
    [InlineData("taavi", "delete", "", "pods", "", "x", "tool-fourohfour", "", """pods "x" is forbidden: User "taavi" cannot delete resource "pods" in API group "" in the namespace "tool-fourohfour" """)]
    [InlineData("u", "list", "", "pods", "", "", "ns", "", """pods is forbidden: User "u" cannot list resource "pods" in API group "" in the namespace "ns" """)]
    [InlineData("u", "list", "", "pods", "", "", "", "", """pods is forbidden: User "u" cannot list resource "pods" in API group "" at the cluster scope """)]
    [InlineData("u", "get", "", "nodes", "", "n1", "", "", """nodes "n1" is forbidden: User "u" cannot get resource "nodes" in API group "" at the cluster scope """)]
    [InlineData("u", "patch", "apps", "deployments", "scale", "web", "ns", "", """deployments.apps "web" is forbidden: User "u" cannot patch resource "deployments/scale" in API group "apps" in the namespace "ns" """)]
    [InlineData("system:serviceaccount:ns:default", "create", "", "pods", "exec", "p", "ns", "", """pods "p" is forbidden: User "system:serviceaccount:ns:default" cannot create resource "pods/exec" in API group "" in the namespace "ns" """)]
    [InlineData("u", "watch", "rbac.authorization.k8s.io", "clusterroles", "", "", "", "RBAC: clusterrole.rbac.authorization.k8s.io \"x\" not found",
        """clusterroles.rbac.authorization.k8s.io is forbidden: User "u" cannot watch resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found """)]
    public void ResourceRequests(string user, string verb, string group, string resource, string sub, string name, string ns, string reason, string expected)
    {
        var a = new AuthorizationAttributes
        {
            User = new UserInfo(user, ["system:authenticated"]), Verb = verb, IsResourceRequest = true, ApiGroup = group,
            Resource = resource, Subresource = sub, Name = name, Namespace = ns,
        };

        var e = Forbidden.For(a, reason);

        Assert.Equal(expected.TrimEnd(), e.Message);
        Assert.Equal(403, e.Code);
        Assert.Equal("Forbidden", e.Reason);
        Assert.Equal(resource, e.DetailsKind);
        Assert.Equal(group, e.DetailsGroup ?? "");
        Assert.Equal(name.Length == 0 ? null : name, e.DetailsName);
    }

    [Theory]
    [InlineData("get", "/metrics", "", """forbidden: User "u" cannot get path "/metrics" """)]
    [InlineData("post", "/logs/x", "", """forbidden: User "u" cannot post path "/logs/x" """)]
    [InlineData("get", "/api", "RBAC: role.rbac.authorization.k8s.io \"r\" not found", """forbidden: User "u" cannot get path "/api": RBAC: role.rbac.authorization.k8s.io "r" not found """)]
    public void NonResourceRequests(string verb, string path, string reason, string expected)
    {
        var e = Forbidden.For(new AuthorizationAttributes { User = new UserInfo("u", []), Verb = verb, Path = path }, reason);

        Assert.Equal(expected.TrimEnd(), e.Message);
        Assert.Equal(403, e.Code);
    }
}
