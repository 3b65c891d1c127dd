using Anvil.E2E.Harness;

namespace Anvil.E2E;

/// <summary>RBAC as kubectl users see it: auth can-i, Forbidden errors, grants through bindings, escalation.</summary>
public sealed class RbacTests(AnvilServer server) : E2ETest(server), IClassFixture<AnvilServer>
{
    private Task<KubectlResult> As(string kubeconfig, params string[] args) => Kubectl.RunAsync(["--kubeconfig", kubeconfig, .. args], stdin: null);

    private string User(string name, params string[] groups) => UserKubeconfig.Write(Server, Kubectl.WorkDir, name, groups);

    [Fact]
    public async Task Admin_CanI_Yes()
    {
        var r = (await K("auth", "can-i", "delete", "pods", "-n", "default")).Succeeded();

        Assert.Equal("yes", r.Stdout.TrimEnd());
    }

    [Fact]
    public async Task User_WithoutBindings_IsForbidden()
    {
        var ns = await NamespaceAsync("rbac-forbidden");
        var taavi = User("taavi");

        var canI = (await As(taavi, "auth", "can-i", "delete", "pods", "-n", ns)).Failed();
        var list = (await As(taavi, "get", "pods", "-n", ns)).Failed();
        var delete = (await As(taavi, "delete", "pod", "x", "-n", ns)).Failed();
        var nodes = (await As(taavi, "get", "nodes")).Failed();

        Assert.Equal("no", canI.Stdout.TrimEnd());
        Assert.Equal($"Error from server (Forbidden): pods is forbidden: User \"taavi\" cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\"", list.StderrLines.Last());
        Assert.Equal($"Error from server (Forbidden): pods \"x\" is forbidden: User \"taavi\" cannot delete resource \"pods\" in API group \"\" in the namespace \"{ns}\"", delete.StderrLines.Last());
        Assert.Equal("Error from server (Forbidden): nodes is forbidden: User \"taavi\" cannot list resource \"nodes\" in API group \"\" at the cluster scope", nodes.StderrLines.Last());
    }

    [Fact]
    public async Task RoleBinding_GrantsInItsNamespaceOnly()
    {
        var ns = await NamespaceAsync("rbac-grant");
        var other = await NamespaceAsync("rbac-grant-other");
        var maria = User("maria", "devs");
        (await K("create", "rolebinding", "devs-edit", "--clusterrole=edit", "--group=devs", "-n", ns)).Succeeded();

        await EventuallyAsync("maria may delete pods", async () =>
        {
            var r = await As(maria, "auth", "can-i", "delete", "pods", "-n", ns);
            return (r.ExitCode == 0 && r.Stdout.TrimEnd() == "yes", r.ToString());
        });
        var elsewhere = (await As(maria, "auth", "can-i", "delete", "pods", "-n", other)).Failed();
        // (configmaps would show kube-root-ca.crt, which every namespace has)
        var list = (await As(maria, "get", "secrets", "-n", ns)).Succeeded();

        Assert.Equal("no", elsewhere.Stdout.TrimEnd());
        Assert.Equal("", list.Stdout);
    }

    [Fact]
    public async Task CanI_List_PrintsTheRules()
    {
        var ns = await NamespaceAsync("rbac-list");
        var lister = User("lister");
        (await KWithInput($$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: Role
            metadata: {name: cm-reader, namespace: {{ns}}}
            rules:
            - {apiGroups: [""], resources: [configmaps], verbs: [get, list], resourceNames: [settings]}
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: lister, namespace: {{ns}}}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
            subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: lister}]
            """, "create", "-f", "-")).Succeeded();

        await EventuallyAsync("the rules table lists the role", async () =>
        {
            var r = await As(lister, "auth", "can-i", "--list", "-n", ns);
            return (r.ExitCode == 0 && r.StdoutLines.Any(l => l.StartsWith("configmaps ", StringComparison.Ordinal)), r.ToString());
        });
        var table = (await As(lister, "auth", "can-i", "--list", "-n", ns)).Succeeded();

        Assert.Equal(["Resources", "Non-Resource", "URLs", "Resource", "Names", "Verbs"], table.StdoutLines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(table.StdoutLines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["configmaps", "[]", "[settings]", "[get", "list]"]);
        Assert.Contains(table.StdoutLines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["selfsubjectaccessreviews.authorization.k8s.io", "[]", "[]", "[create]"]);
        Assert.Contains(table.StdoutLines, l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries) is ["[/version]", "[]", "[get]"]);
    }

    [Fact]
    public async Task Escalation_IsForbidden_WithUpstreamMessage()
    {
        var ns = await NamespaceAsync("rbac-escalate");
        var owner = User("owner");
        (await K("create", "rolebinding", "owner-admin", "--clusterrole=admin", "--user=owner", "-n", ns)).Succeeded();
        await EventuallyAsync("owner may create roles", async () =>
        {
            var r = await As(owner, "auth", "can-i", "create", "roles", "-n", ns);
            return (r.ExitCode == 0, r.ToString());
        });

        var held = await As(owner, "create", "role", "reader", "--verb=get", "--resource=pods", "-n", ns);
        var notHeld = (await As(owner, "create", "role", "node-reader", "--verb=get", "--resource=nodes", "-n", ns)).Failed();

        held.Succeeded();
        Assert.Equal(
            ["Error from server (Forbidden): roles.rbac.authorization.k8s.io \"node-reader\" is forbidden: user \"owner\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:",
             "{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\"]}"],
            notHeld.StderrLines);
    }
}
