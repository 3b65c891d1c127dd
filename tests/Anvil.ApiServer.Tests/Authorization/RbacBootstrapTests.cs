using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Authorization;
using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Tests.Authorization;

/// <summary>The default policy: objects, reconciliation, what it grants, and aggregation of admin/edit/view.</summary>
public sealed class RbacBootstrapTests
{
    private static readonly UserInfo Authenticated = new("someone", ["system:authenticated"]);
    private static readonly UserInfo ControllerManager = new("system:kube-controller-manager", ["system:authenticated"]);

    private static AuthorizationAttributes Req(UserInfo user, string verb, string resource, string ns = "", string group = "", string sub = "", string name = "") => new()
    {
        User = user, Verb = verb, IsResourceRequest = true, ApiGroup = group, Resource = resource, Namespace = ns, Subresource = sub, Name = name,
    };

    private static AuthorizationAttributes Url(UserInfo user, string path) => new() { User = user, Verb = "get", Path = path };

    [Theory]
    [InlineData("cluster-admin")]
    [InlineData("admin")]
    [InlineData("edit")]
    [InlineData("view")]
    [InlineData("system:aggregate-to-view")]
    [InlineData("system:discovery")]
    [InlineData("system:basic-user")]
    [InlineData("system:public-info-viewer")]
    [InlineData("system:kube-controller-manager")]
    [InlineData("system:kube-scheduler")]
    [InlineData("system:node")]
    [InlineData("system:service-account-issuer-discovery")]
    [InlineData("system:certificates.k8s.io:certificatesigningrequests:nodeclient")]
    public async Task ClusterRoles_ArePresent_LabelledAndAnnotated(string name)
    {
        await using var f = await RbacFixture.CreateAsync(bootstrap: true);

        var role = await f.Store.GetAsync(f.Def("clusterroles"), "", name, default);

        Assert.Equal("rbac-defaults", (string?)role["metadata"]!["labels"]!["kubernetes.io/bootstrapping"]);
        Assert.Equal("true", (string?)role["metadata"]!["annotations"]!["rbac.authorization.kubernetes.io/autoupdate"]);
    }

    [Theory]
    [InlineData("cluster-admin", "cluster-admin", "Group", "system:masters")]
    [InlineData("system:discovery", "system:discovery", "Group", "system:authenticated")]
    [InlineData("system:basic-user", "system:basic-user", "Group", "system:authenticated")]
    [InlineData("system:public-info-viewer", "system:public-info-viewer", "Group", "system:unauthenticated")]
    [InlineData("system:kube-controller-manager", "system:kube-controller-manager", "User", "system:kube-controller-manager")]
    [InlineData("system:kube-scheduler", "system:kube-scheduler", "User", "system:kube-scheduler")]
    [InlineData("system:controller:service-account-controller", "system:controller:service-account-controller", "ServiceAccount", "service-account-controller")]
    [InlineData("system:controller:root-ca-cert-publisher", "system:controller:root-ca-cert-publisher", "ServiceAccount", "root-ca-cert-publisher")]
    public async Task ClusterRoleBindings_ArePresent(string name, string role, string kind, string subject)
    {
        await using var f = await RbacFixture.CreateAsync(bootstrap: true);

        var b = await f.Store.GetAsync(f.Def("clusterrolebindings"), "", name, default);

        Assert.Equal(role, (string?)b["roleRef"]!["name"]);
        Assert.Contains(b["subjects"]!.AsArray(), s => (string?)s!["kind"] == kind && (string?)s["name"] == subject);
        Assert.Equal("true", (string?)b["metadata"]!["annotations"]!["rbac.authorization.kubernetes.io/autoupdate"]);
    }

    [Fact]
    public async Task SystemNodeBinding_HasNoSubjects_TheNodeAuthorizerDecides()
    {
        await using var f = await RbacFixture.CreateAsync(bootstrap: true);

        var b = await f.Store.GetAsync(f.Def("clusterrolebindings"), "", "system:node", default);

        Assert.True(b["subjects"] is null || b["subjects"]!.AsArray().Count == 0);
    }

    [Fact]
    public async Task Ensure_Twice_ChangesNothing()
    {
        await using var f = await RbacFixture.CreateAsync(bootstrap: true);
        var before = f.Store.CurrentRevision;

        await RbacBootstrap.EnsureAsync(f.Store, f.Catalog, default);

        Assert.Equal(before, f.Store.CurrentRevision);
    }

    [Fact]
    public async Task Ensure_RestoresMissingRulesSubjectsAndLabels_UnlessAutoupdateIsFalse()
    {
        await using var f = await RbacFixture.CreateAsync(bootstrap: true);
        var roles = f.Def("clusterroles");
        var bindings = f.Def("clusterrolebindings");
        await Edit(f, roles, "system:basic-user", r =>
        {
            r["rules"] = new JsonArray(r["rules"]![0]!.DeepClone());
            ((JsonObject)r["metadata"]!["labels"]!).Remove("kubernetes.io/bootstrapping");
            ((JsonObject)r["metadata"]!["labels"]!)["mine"] = "kept";
        });
        await Edit(f, bindings, "system:discovery", b => b["subjects"] = new JsonArray());
        await Edit(f, roles, "system:monitoring", r =>
        {
            r["rules"] = new JsonArray();
            r["metadata"]!["annotations"]!["rbac.authorization.kubernetes.io/autoupdate"] = "false";
        });

        await RbacBootstrap.EnsureAsync(f.Store, f.Catalog, default);

        var basic = await f.Store.GetAsync(roles, "", "system:basic-user", default);
        Assert.Equal("""[{"verbs":["create"],"apiGroups":["authorization.k8s.io"],"resources":["selfsubjectaccessreviews","selfsubjectrulesreviews"]},{"verbs":["create"],"apiGroups":["authentication.k8s.io"],"resources":["selfsubjectreviews"]}]""",
            basic["rules"]!.ToJsonString());
        Assert.Equal("""{"mine":"kept","kubernetes.io/bootstrapping":"rbac-defaults"}""", basic["metadata"]!["labels"]!.ToJsonString());
        var discovery = await f.Store.GetAsync(bindings, "", "system:discovery", default);
        Assert.Equal("""[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"system:authenticated"}]""", discovery["subjects"]!.ToJsonString());
        var monitoring = await f.Store.GetAsync(roles, "", "system:monitoring", default);
        Assert.Equal("[]", monitoring["rules"]?.ToJsonString() ?? "[]");
    }

    private static async Task Edit(RbacFixture f, ResourceDefinition def, string name, Action<JsonObject> change)
    {
        var obj = await f.Store.GetAsync(def, "", name, default);
        change(obj);
        await f.Store.UpdateAsync(def, "", name, obj, new WriteOptions { User = RbacFixture.Admin }, default);
    }

    [Fact]
    public async Task DefaultPolicy_Grants()
    {
        await using var f = await RbacFixture.CreateAsync(bootstrap: true);
        var anonymous = new UserInfo("system:anonymous", ["system:unauthenticated"]);

        // Every authenticated user: discovery, version, health, self reviews; nothing else.
        Assert.True(f.Rbac.Authorize(Url(Authenticated, "/apis/apps/v1")).Allowed);
        Assert.True(f.Rbac.Authorize(Url(Authenticated, "/openapi/v3/api/v1")).Allowed);
        Assert.True(f.Rbac.Authorize(Url(Authenticated, "/version")).Allowed);
        Assert.True(f.Rbac.Authorize(Req(Authenticated, "create", "selfsubjectaccessreviews", group: "authorization.k8s.io")).Allowed);
        Assert.True(f.Rbac.Authorize(Req(Authenticated, "create", "selfsubjectrulesreviews", group: "authorization.k8s.io")).Allowed);
        Assert.False(f.Rbac.Authorize(Req(Authenticated, "create", "subjectaccessreviews", group: "authorization.k8s.io")).Allowed);
        Assert.False(f.Rbac.Authorize(Req(Authenticated, "list", "pods", "default")).Allowed);
        Assert.False(f.Rbac.Authorize(Url(Authenticated, "/metrics")).Allowed);
        // Unauthenticated: only the public info.
        Assert.True(f.Rbac.Authorize(Url(anonymous, "/healthz")).Allowed);
        Assert.True(f.Rbac.Authorize(Url(anonymous, "/version/")).Allowed);
        Assert.False(f.Rbac.Authorize(Url(anonymous, "/api")).Allowed);
        // system:masters through RBAC too (the cluster-admin binding), as rules reviews show.
        var (rules, _) = f.Rbac.RulesFor(new UserInfo("root", ["system:masters"]), "default");
        Assert.Contains(rules, r => r.CompactString() == """{APIGroups:["*"], Resources:["*"], Verbs:["*"]}""");
    }

    [Theory]
    [InlineData("list", "pods", "", "", "")]
    [InlineData("watch", "deployments", "apps", "", "")]
    [InlineData("delete", "pods", "", "", "tool-a")]
    [InlineData("deletecollection", "configmaps", "", "", "tool-a")]
    [InlineData("delete", "namespaces", "", "", "")]
    [InlineData("update", "namespaces", "", "finalize", "")]
    [InlineData("update", "namespaces", "", "status", "")]
    [InlineData("get", "replicasets", "apps", "", "tool-a")]
    [InlineData("patch", "replicasets", "apps", "", "tool-a")]
    [InlineData("update", "jobs", "batch", "", "tool-a")]
    [InlineData("create", "events", "", "", "tool-a")]
    public async Task ControllerManager_MayDoWhatAnvilsControllersDo(string verb, string resource, string group, string sub, string ns)
    {
        await using var f = await RbacFixture.CreateAsync(bootstrap: true);

        Assert.True(f.Rbac.Authorize(Req(ControllerManager, verb, resource, ns, group, sub, "x")).Allowed);
        Assert.False(f.Rbac.Authorize(Req(Authenticated, verb, resource, ns, group, sub, "x")).Allowed);
    }

    [Fact]
    public async Task AdminEditView_AreAggregated()
    {
        await using var f = await RbacFixture.CreateAsync(bootstrap: true, aggregate: true, namespaces: ["tool-a"]);
        await f.CreateAsync("rolebindings", "tool-a", """{"metadata":{"name":"v"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"viewer","apiGroup":"rbac.authorization.k8s.io"}]}""");
        await f.CreateAsync("rolebindings", "tool-a", """{"metadata":{"name":"e"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},"subjects":[{"kind":"User","name":"editor","apiGroup":"rbac.authorization.k8s.io"}]}""");
        await f.CreateAsync("rolebindings", "tool-a", """{"metadata":{"name":"a"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"},"subjects":[{"kind":"User","name":"tool","apiGroup":"rbac.authorization.k8s.io"}]}""");
        UserInfo U(string n) => new(n, ["system:authenticated"]);

        // admin gathers edit, which gathers view: wait for the chain to settle.
        await RbacFixture.EventuallyAsync(() => Task.FromResult(f.Rbac.Authorize(Req(U("tool"), "get", "pods", "tool-a", name: "p")).Allowed));

        Assert.True(f.Rbac.Authorize(Req(U("viewer"), "list", "deployments", "tool-a", "apps")).Allowed);
        Assert.False(f.Rbac.Authorize(Req(U("viewer"), "get", "secrets", "tool-a", name: "s")).Allowed);
        Assert.True(f.Rbac.Authorize(Req(U("editor"), "create", "pods", "tool-a", sub: "exec", name: "p")).Allowed);
        Assert.True(f.Rbac.Authorize(Req(U("editor"), "list", "pods", "tool-a")).Allowed);
        Assert.False(f.Rbac.Authorize(Req(U("editor"), "create", "rolebindings", "tool-a", "rbac.authorization.k8s.io")).Allowed);
        Assert.True(f.Rbac.Authorize(Req(U("tool"), "create", "rolebindings", "tool-a", "rbac.authorization.k8s.io")).Allowed);
        Assert.True(f.Rbac.Authorize(Req(U("tool"), "delete", "deployments", "tool-a", "apps", name: "d")).Allowed);
        Assert.False(f.Rbac.Authorize(Req(U("tool"), "delete", "deployments", "tool-b", "apps", name: "d")).Allowed);
    }

    [Fact]
    public async Task Aggregation_UnionsMatchingRolesInNameOrder_AndFollowsChanges()
    {
        await using var f = await RbacFixture.CreateAsync(aggregate: true);
        var roles = f.Def("clusterroles");
        await f.CreateAsync("clusterroles", "", """{"metadata":{"name":"agg"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"team":"x"}},{"matchExpressions":[{"key":"extra","operator":"Exists"}]}]}}""");
        await f.CreateAsync("clusterroles", "", """{"metadata":{"name":"b-part","labels":{"team":"x"}},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]},{"verbs":["list"],"apiGroups":[""],"resources":["pods"]}]}""");
        await f.CreateAsync("clusterroles", "", """{"metadata":{"name":"a-part","labels":{"extra":""}},"rules":[{"verbs":["list"],"apiGroups":[""],"resources":["pods"]},{"verbs":["get"],"nonResourceURLs":["/metrics"]}]}""");
        await f.CreateAsync("clusterroles", "", """{"metadata":{"name":"c-other","labels":{"team":"y"}},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}""");

        const string all = """[{"verbs":["list"],"apiGroups":[""],"resources":["pods"]},{"verbs":["get"],"nonResourceURLs":["/metrics"]},{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]""";
        await RbacFixture.EventuallyAsync(async () => (await f.Store.GetAsync(roles, "", "agg", default))["rules"]?.ToJsonString() == all);

        // A part loses its label: its rules leave the aggregate.
        var a = await f.Store.GetAsync(roles, "", "a-part", default);
        ((JsonObject)a["metadata"]!).Remove("labels");
        await f.Store.UpdateAsync(roles, "", "a-part", a, new WriteOptions { User = RbacFixture.Admin }, default);
        const string rest = """[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]},{"verbs":["list"],"apiGroups":[""],"resources":["pods"]}]""";
        await RbacFixture.EventuallyAsync(async () => (await f.Store.GetAsync(roles, "", "agg", default))["rules"]?.ToJsonString() == rest);
        Assert.Equal(rest, (await f.Store.GetAsync(roles, "", "agg", default))["rules"]!.ToJsonString());
    }
}
