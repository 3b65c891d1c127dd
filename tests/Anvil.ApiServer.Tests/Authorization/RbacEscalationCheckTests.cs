using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;

namespace Anvil.ApiServer.Tests.Authorization;

/// <summary>Privilege escalation prevention on role and binding writes (policybased storage), with upstream's messages.</summary>
public sealed class RbacEscalationCheckTests
{
    private static readonly UserInfo Bob = new("bob", ["system:authenticated"]);

    /// <summary>bob may get/list pods in "ns" (a Role) and get configmaps everywhere (a ClusterRole).</summary>
    private static async Task<RbacFixture> BobAsync(string extraClusterRules = "")
    {
        var f = await RbacFixture.CreateAsync(namespaces: ["ns", "other"]);
        await f.CreateAsync("roles", "ns", """{"metadata":{"name":"pods"},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"]}]}""");
        await f.CreateAsync("rolebindings", "ns", """{"metadata":{"name":"bob-pods"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"pods"},"subjects":[{"kind":"User","name":"bob","apiGroup":"rbac.authorization.k8s.io"}]}""");
        await f.CreateAsync("clusterroles", "", $$"""{"metadata":{"name":"bob-cluster"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["configmaps"]}{{extraClusterRules}}]}""");
        await f.CreateAsync("clusterrolebindings", "", """{"metadata":{"name":"bob-cluster"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"bob-cluster"},"subjects":[{"kind":"User","name":"bob","apiGroup":"rbac.authorization.k8s.io"}]}""");
        return f;
    }

    private static Task<JsonObjectResult> Create(RbacFixture f, string resource, string ns, string json, UserInfo? user = null) =>
        JsonObjectResult.From(() => f.Store.CreateAsync(f.Def(resource), ns, RbacFixture.Obj(json), new WriteOptions { User = user ?? Bob }, default));

    [Fact]
    public async Task Role_WithHeldRules_IsCreated()
    {
        await using var f = await BobAsync();

        var r = await Create(f, "roles", "ns", """{"metadata":{"name":"r"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods","configmaps"]}]}""");

        Assert.Null(r.Error);
    }

    [Fact]
    public async Task Role_WithRulesNotHeld_IsForbidden_ListingThemSorted()
    {
        await using var f = await BobAsync();

        var r = await Create(f, "roles", "ns", """{"metadata":{"name":"r"},"rules":[{"verbs":["get","list","watch"],"apiGroups":[""],"resources":["secrets","pods","nodes"]}]}""");

        Assert.Equal(403, r.Error?.Code);
        Assert.Equal("roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"bob\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\" \"list\" \"watch\"]}\n"
            + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"watch\"]}\n"
            + "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" \"watch\"]}", r.Error!.Message);
    }

    [Fact]
    public async Task NamespaceRights_DoNotCountForClusterRoles()
    {
        await using var f = await BobAsync();

        var r = await Create(f, "clusterroles", "", """{"metadata":{"name":"cr"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]},{"verbs":["get"],"nonResourceURLs":["/metrics"]}]}""");
        var elsewhere = await Create(f, "roles", "other", """{"metadata":{"name":"r"},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}""");

        Assert.Equal("clusterroles.rbac.authorization.k8s.io \"cr\" is forbidden: user \"bob\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}\n{NonResourceURLs:[\"/metrics\"], Verbs:[\"get\"]}", r.Error?.Message);
        Assert.Equal(403, elsewhere.Error?.Code);
    }

    [Fact]
    public async Task EscalateVerb_AllowsAnyRules()
    {
        await using var f = await BobAsync(""",{"verbs":["escalate","create"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"]}""");

        var r = await Create(f, "roles", "ns", """{"metadata":{"name":"big"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}""");

        Assert.Null(r.Error);
    }

    [Fact]
    public async Task EscalateVerb_LimitedToNames_AppliesToUpdatesOfThatRoleOnly()
    {
        await using var f = await BobAsync(""",{"verbs":["escalate"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles"],"resourceNames":["named"]}""");
        await f.CreateAsync("roles", "ns", """{"metadata":{"name":"named"},"rules":[]}""");

        // A create has no name in its request, so a name-limited escalate does not apply.
        var created = await Create(f, "roles", "ns", """{"metadata":{"name":"named2"},"rules":[{"verbs":["delete"],"apiGroups":[""],"resources":["pods"]}]}""");
        var role = await f.Store.GetAsync(f.Def("roles"), "ns", "named", default);
        role["rules"] = RbacFixture.Obj("""{"r":[{"verbs":["delete"],"apiGroups":[""],"resources":["pods"]}]}""")["r"]!.DeepClone();
        var update = await JsonObjectResult.From(async () => (await f.Store.UpdateAsync(f.Def("roles"), "ns", "named", role, new WriteOptions { User = Bob }, default)).Object);

        Assert.Equal(403, created.Error?.Code);
        Assert.Null(update.Error);
    }

    [Fact]
    public async Task Update_TouchingOnlyGcFields_IsNotChecked()
    {
        await using var f = await BobAsync();
        await f.CreateAsync("roles", "ns", """{"metadata":{"name":"strong"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}""");
        var role = await f.Store.GetAsync(f.Def("roles"), "ns", "strong", default);
        ((System.Text.Json.Nodes.JsonObject)role["metadata"]!)["finalizers"] = new System.Text.Json.Nodes.JsonArray("example.com/keep");

        var gc = await JsonObjectResult.From(async () => (await f.Store.UpdateAsync(f.Def("roles"), "ns", "strong", (System.Text.Json.Nodes.JsonObject)role.DeepClone(), new WriteOptions { User = Bob }, default)).Object);
        var labelled = await f.Store.GetAsync(f.Def("roles"), "ns", "strong", default);
        ((System.Text.Json.Nodes.JsonObject)labelled["metadata"]!)["labels"] = new System.Text.Json.Nodes.JsonObject { ["a"] = "b" };
        var other = await JsonObjectResult.From(async () => (await f.Store.UpdateAsync(f.Def("roles"), "ns", "strong", labelled, new WriteOptions { User = Bob }, default)).Object);

        Assert.Null(gc.Error);
        Assert.Equal(403, other.Error?.Code);
    }

    [Fact]
    public async Task AggregationRule_NeedsFullAuthority()
    {
        await using var f = await BobAsync();

        var r = await Create(f, "clusterroles", "", """{"metadata":{"name":"agg"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}}""");

        Assert.Equal("""clusterroles.rbac.authorization.k8s.io "agg" is forbidden: must have cluster-admin privileges to use the aggregationRule""", r.Error?.Message);
    }

    [Fact]
    public async Task Binding_ToRoleWhoseRulesAreHeld_IsCreated()
    {
        await using var f = await BobAsync();
        await f.CreateAsync("roles", "ns", """{"metadata":{"name":"small"},"rules":[{"verbs":["list"],"apiGroups":[""],"resources":["pods"]}]}""");

        var r = await Create(f, "rolebindings", "ns", """{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"small"},"subjects":[{"kind":"User","name":"alice","apiGroup":"rbac.authorization.k8s.io"}]}""");

        Assert.Null(r.Error);
    }

    [Fact]
    public async Task Binding_ToStrongerRole_IsForbidden()
    {
        await using var f = await BobAsync();
        await f.CreateAsync("clusterroles", "", """{"metadata":{"name":"strong"},"rules":[{"verbs":["delete"],"apiGroups":["apps"],"resources":["deployments"]},{"verbs":["get"],"apiGroups":[""],"resources":["pods"]}]}""");

        var inNs = await Create(f, "rolebindings", "ns", """{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"strong"},"subjects":[{"kind":"User","name":"alice","apiGroup":"rbac.authorization.k8s.io"}]}""");
        var cluster = await Create(f, "clusterrolebindings", "", """{"metadata":{"name":"cb"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"strong"},"subjects":[{"kind":"User","name":"alice","apiGroup":"rbac.authorization.k8s.io"}]}""");

        Assert.Equal("rolebindings.rbac.authorization.k8s.io \"b\" is forbidden: user \"bob\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"apps\"], Resources:[\"deployments\"], Verbs:[\"delete\"]}", inNs.Error?.Message);
        Assert.Equal("clusterrolebindings.rbac.authorization.k8s.io \"cb\" is forbidden: user \"bob\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"get\"]}\n{APIGroups:[\"apps\"], Resources:[\"deployments\"], Verbs:[\"delete\"]}", cluster.Error?.Message);
    }

    [Fact]
    public async Task BindVerb_OnThatRole_AllowsTheBinding()
    {
        await using var f = await BobAsync(""",{"verbs":["bind"],"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"resourceNames":["strong"]}""");
        await f.CreateAsync("clusterroles", "", """{"metadata":{"name":"strong"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}""");
        await f.CreateAsync("clusterroles", "", """{"metadata":{"name":"stronger"},"rules":[{"verbs":["*"],"apiGroups":["*"],"resources":["*"]}]}""");

        var ok = await Create(f, "rolebindings", "ns", """{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"strong"},"subjects":[{"kind":"User","name":"alice","apiGroup":"rbac.authorization.k8s.io"}]}""");
        var other = await Create(f, "rolebindings", "ns", """{"metadata":{"name":"c"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"stronger"},"subjects":[{"kind":"User","name":"alice","apiGroup":"rbac.authorization.k8s.io"}]}""");

        Assert.Null(ok.Error);
        Assert.Equal(403, other.Error?.Code);
    }

    [Fact]
    public async Task Binding_ToMissingRole_IsNotFound()
    {
        await using var f = await BobAsync();

        var r = await Create(f, "rolebindings", "ns", """{"metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"nope"},"subjects":[]}""");

        Assert.Equal(404, r.Error?.Code);
        Assert.Equal("""roles.rbac.authorization.k8s.io "nope" not found""", r.Error?.Message);
    }

    [Fact]
    public async Task SystemMasters_IsExempt()
    {
        await using var f = await BobAsync();

        var r = await Create(f, "clusterroles", "", """{"metadata":{"name":"agg"},"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]},"rules":[{"verbs":["*"],"nonResourceURLs":["*"]}]}""",
            new UserInfo("root", ["system:masters"]));

        Assert.Null(r.Error);
    }

    [Fact]
    public async Task ResolutionErrors_AreAppended()
    {
        await using var f = await BobAsync();
        await f.CreateAsync("rolebindings", "ns", """{"metadata":{"name":"dangling"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"gone"},"subjects":[{"kind":"User","name":"bob","apiGroup":"rbac.authorization.k8s.io"}]}""");

        var r = await Create(f, "roles", "ns", """{"metadata":{"name":"r"},"rules":[{"verbs":["delete"],"apiGroups":[""],"resources":["pods"]}]}""");

        Assert.Equal("roles.rbac.authorization.k8s.io \"r\" is forbidden: user \"bob\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"delete\"]}; resolution errors: [role.rbac.authorization.k8s.io \"gone\" not found]", r.Error?.Message);
    }

    /// <summary>The result of a write: the object, or the StatusError it failed with.</summary>
    private sealed record JsonObjectResult(System.Text.Json.Nodes.JsonObject? Object, StatusError? Error)
    {
        public static async Task<JsonObjectResult> From(Func<Task<System.Text.Json.Nodes.JsonObject>> write)
        {
            try
            {
                return new(await write(), null);
            }
            catch (StatusError e)
            {
                return new(null, e);
            }
        }
    }
}
