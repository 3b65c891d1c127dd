using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.ApiServer.Registry;
using Anvil.ApiServer.Registry.Core;
using Anvil.ApiServer.Tests.Store;

namespace Anvil.ApiServer.Tests.Authorization;

public sealed class NodeAuthorizerTests : IAsyncLifetime
{
    private StoreFixture _f = null!;
    private NodeAuthorizer _node = null!;
    private static readonly UserInfo Node1 = new("system:node:n1", ["system:nodes", "system:authenticated"]);

    public async Task InitializeAsync()
    {
        _f = await StoreFixture.CreateAsync();
        _node = new NodeAuthorizer(() => _f.Store, () => _f.Catalog);
        await _f.Store.CreateAsync(_f.Resource("pods"), "ns", StoreFixture.Obj("""
            {"metadata":{"name":"p1"},"spec":{"nodeName":"n1","serviceAccountName":"robot",
              "imagePullSecrets":[{"name":"pull"}],
              "containers":[{"name":"c","image":"busybox",
                "env":[{"name":"A","valueFrom":{"secretKeyRef":{"name":"env-secret","key":"k"}}},{"name":"B","valueFrom":{"configMapKeyRef":{"name":"env-cm","key":"k"}}}],
                "envFrom":[{"secretRef":{"name":"from-secret"}},{"configMapRef":{"name":"from-cm"}}]}],
              "volumes":[{"name":"s","secret":{"secretName":"vol-secret"}},{"name":"c","configMap":{"name":"vol-cm"}},
                {"name":"p","projected":{"sources":[{"configMap":{"name":"kube-root-ca.crt"}},{"secret":{"name":"proj-secret"}}]}},
                {"name":"d","persistentVolumeClaim":{"claimName":"data"}}]}}
            """), new WriteOptions(), default);
        await _f.Store.CreateAsync(_f.Resource("pods"), "ns", StoreFixture.Obj("""
            {"metadata":{"name":"p2"},"spec":{"nodeName":"n2","containers":[{"name":"c","image":"busybox"}],"volumes":[{"name":"s","secret":{"secretName":"other-node"}}]}}
            """), new WriteOptions(), default);
    }

    public async Task DisposeAsync() => await _f.DisposeAsync();

    private ValueTask<AuthorizationDecision> Ask(string verb, string resource, string name, string ns = "ns", string subresource = "", UserInfo? user = null) =>
        _node.AuthorizeAsync(new AuthorizationAttributes
        {
            User = user ?? Node1, Verb = verb, IsResourceRequest = true, Namespace = ns, Resource = resource, Name = name, Subresource = subresource, ApiVersion = "v1",
        }, default);

    [Theory]
    [InlineData("secrets", "pull")]
    [InlineData("secrets", "env-secret")]
    [InlineData("secrets", "from-secret")]
    [InlineData("secrets", "vol-secret")]
    [InlineData("secrets", "proj-secret")]
    [InlineData("configmaps", "env-cm")]
    [InlineData("configmaps", "from-cm")]
    [InlineData("configmaps", "vol-cm")]
    [InlineData("configmaps", "kube-root-ca.crt")]
    [InlineData("persistentvolumeclaims", "data")]
    public async Task ANodeGetsWhatItsPodsReference(string resource, string name)
    {
        Assert.Equal(Decision.Allow, (await Ask("get", resource, name)).Decision);
    }

    [Theory]
    [InlineData("get", "secrets", "unreferenced", "no relationship found between node 'n1' and this object")]
    [InlineData("get", "secrets", "other-node", "no relationship found between node 'n1' and this object")]
    [InlineData("get", "configmaps", "vol-secret", "no relationship found between node 'n1' and this object")]
    [InlineData("list", "secrets", "", "No Object name found")]
    [InlineData("update", "secrets", "vol-secret", "can only read resources of this type")]
    [InlineData("list", "persistentvolumeclaims", "", "can only get individual resources of this type")]
    public async Task ANodeGetsNothingElse(string verb, string resource, string name, string reason)
    {
        var d = await Ask(verb, resource, name);
        Assert.Equal(Decision.NoOpinion, d.Decision);
        Assert.Equal(reason, d.Reason);
    }

    [Fact]
    public async Task TokensOnlyForTheAccountsOfItsPods()
    {
        Assert.Equal(Decision.Allow, (await Ask("create", "serviceaccounts", "robot", subresource: "token")).Decision);
        var other = await Ask("create", "serviceaccounts", "default", subresource: "token");
        Assert.Equal(Decision.NoOpinion, other.Decision);
        Assert.Equal("no relationship found between node 'n1' and this object", other.Reason);
        Assert.Equal("can only create tokens for individual service accounts", (await Ask("get", "serviceaccounts", "robot", subresource: "token")).Reason);
    }

    [Theory]
    [InlineData("get", "pods", "", true)]
    [InlineData("watch", "pods", "", true)]
    [InlineData("patch", "pods", "status", true)]
    [InlineData("create", "nodes", "", true)]
    [InlineData("create", "events", "", true)]
    [InlineData("delete", "nodes", "", false)]
    [InlineData("get", "serviceaccounts", "", false)]
    public async Task EverythingElseIsTheNodeRole(string verb, string resource, string subresource, bool allowed)
    {
        var d = await Ask(verb, resource, "x", subresource: subresource);
        Assert.Equal(allowed ? Decision.Allow : Decision.NoOpinion, d.Decision);
    }

    [Fact]
    public async Task UsersThatAreNotNodesAreNotItsBusiness()
    {
        Assert.Equal(AuthorizationDecision.NoOpinion, await Ask("get", "secrets", "vol-secret", user: new UserInfo("system:node:n1", ["system:authenticated"])));
        Assert.Equal(AuthorizationDecision.NoOpinion, await Ask("get", "pods", "x", user: new UserInfo("alice", ["system:nodes"])));
    }

    [Fact]
    public async Task APodBoundLaterIsHonouredAndItsDeletionRevokes()
    {
        const string NoPath = "no relationship found between node 'n1' and this object";
        Assert.Equal(Decision.Allow, (await Ask("get", "secrets", "vol-secret")).Decision); // the index is running from here on
        var pods = _f.Resource("pods");
        await _f.Store.CreateAsync(pods, "ns", StoreFixture.Obj("""
            {"metadata":{"name":"late"},"spec":{"containers":[{"name":"c","image":"busybox"}],"volumes":[{"name":"s","secret":{"secretName":"late-secret"}}]}}
            """), new WriteOptions(), default);
        Assert.Equal(NoPath, (await Ask("get", "secrets", "late-secret")).Reason); // not bound yet

        await new PodBindingRest(_f.Store, TimeProvider.System).CreateAsync(pods, "ns", "late", StoreFixture.Obj("""
            {"apiVersion":"v1","kind":"Binding","metadata":{"name":"late"},"target":{"kind":"Node","name":"n1"}}
            """), new WriteOptions(), default);
        Assert.Equal(Decision.Allow, (await Ask("get", "secrets", "late-secret")).Decision);
        Assert.Equal("no relationship found between node 'n2' and this object",
            (await Ask("get", "secrets", "late-secret", user: new UserInfo("system:node:n2", ["system:nodes"]))).Reason);

        await _f.Store.DeleteAsync(pods, "ns", "late", new DeleteOptions { GracePeriodSeconds = 0 }, new WriteOptions(), default);
        var d = await Ask("get", "secrets", "late-secret");
        Assert.Equal((Decision.NoOpinion, NoPath), (d.Decision, d.Reason));
    }

    [Fact]
    public async Task AnotherPodKeepsTheEdgeWhenOneGoes()
    {
        await _f.Store.CreateAsync(_f.Resource("pods"), "ns", StoreFixture.Obj("""
            {"metadata":{"name":"p3"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"busybox"}],"volumes":[{"name":"s","secret":{"secretName":"vol-secret"}}]}}
            """), new WriteOptions(), default);
        Assert.Equal(Decision.Allow, (await Ask("get", "secrets", "vol-secret")).Decision);
        await _f.Store.DeleteAsync(_f.Resource("pods"), "ns", "p1", new DeleteOptions { GracePeriodSeconds = 0 }, new WriteOptions(), default);
        Assert.Equal(Decision.Allow, (await Ask("get", "secrets", "vol-secret")).Decision);
        Assert.Equal(Decision.NoOpinion, (await Ask("get", "secrets", "env-secret")).Decision);
    }

    [Fact]
    public async Task TheUnionJoinsReasonsIntoTheForbiddenMessage()
    {
        var union = new UnionAuthorizer([_node, new RbacAuthorizer()]);
        var a = new AuthorizationAttributes { User = Node1, Verb = "get", IsResourceRequest = true, Namespace = "ns", Resource = "secrets", Name = "unreferenced" };
        var d = await union.AuthorizeAsync(a, default);
        Assert.False(d.Allowed);
        Assert.Equal("secrets \"unreferenced\" is forbidden: User \"system:node:n1\" cannot get resource \"secrets\" in API group \"\" in the namespace \"ns\": no relationship found between node 'n1' and this object",
            Forbidden.For(a, d.Reason).Message);
    }
}
