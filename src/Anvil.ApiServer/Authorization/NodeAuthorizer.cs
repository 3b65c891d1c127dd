using Anvil.ApiServer.Registry;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// kube-apiserver's Node authorizer (plugin/pkg/auth/authorizer/node), consulted before RBAC as with
/// <c>--authorization-mode=Node,RBAC</c>. A node (user <c>system:node:&lt;name&gt;</c> in group <c>system:nodes</c>)
/// may get the secrets, config maps, persistent volume claims and volumes that pods bound to it reference, and
/// create tokens for those pods' service accounts; everything else it may do is the <c>system:node</c> role's rules.
/// As upstream's graph, a <see cref="NodeReferenceIndex"/> fed by a watch answers which nodes' pods reference an
/// object; it starts with the first question and keeps itself current until the store closes.
/// </summary>
public sealed class NodeAuthorizer(Func<ResourceStore> store, Func<ResourceCatalog> catalog) : IAuthorizer
{
    public const string NodesGroup = "system:nodes";
    public const string NodeUserPrefix = "system:node:";

    private readonly IReadOnlyList<PolicyRule> _nodeRules =
        BootstrapPolicy.ClusterRoles.First(r => r.Name == "system:node").Rules;

    private readonly object _startGate = new();
    private NodeReferenceIndex? _index;

    /// <summary>The node a user is, or "" for users that are not nodes.</summary>
    public static string NodeName(Authentication.UserInfo user) =>
        user.Name.StartsWith(NodeUserPrefix, StringComparison.Ordinal) && user.InGroup(NodesGroup) ? user.Name[NodeUserPrefix.Length..] : "";

    public async ValueTask<AuthorizationDecision> AuthorizeAsync(AuthorizationAttributes a, CancellationToken ct)
    {
        var node = NodeName(a.User);
        if (node.Length == 0) return AuthorizationDecision.NoOpinion;
        if (a.IsResourceRequest && a.ApiGroup.Length == 0)
        {
            switch (a.Resource)
            {
                case "secrets":
                case "configmaps":
                    return await ReadNamespacedObjectAsync(node, a, ct).ConfigureAwait(false);
                case "persistentvolumeclaims" or "persistentvolumes":
                    if (a.Verb != "get") return NoOpinion("can only get individual resources of this type");
                    if (a.Subresource.Length > 0) return NoOpinion("cannot get subresource");
                    return await RelatedAsync(node, a, ct).ConfigureAwait(false);
                case "serviceaccounts" when a.Subresource == "token":
                    if (a.Verb != "create" || a.Name.Length == 0) return NoOpinion("can only create tokens for individual service accounts");
                    return await RelatedAsync(node, a, ct).ConfigureAwait(false);
            }
        }
        foreach (var rule in _nodeRules)
            if (rule.Allows(a)) return new AuthorizationDecision(Decision.Allow);
        return AuthorizationDecision.NoOpinion;
    }

    private async Task<AuthorizationDecision> ReadNamespacedObjectAsync(string node, AuthorizationAttributes a, CancellationToken ct)
    {
        if (a.Verb is not ("get" or "list" or "watch")) return NoOpinion("can only read resources of this type");
        if (a.Subresource.Length > 0) return NoOpinion("cannot read subresource");
        if (a.Namespace.Length == 0) return NoOpinion("can only read namespaced object of this type");
        return await RelatedAsync(node, a, ct).ConfigureAwait(false);
    }

    private async Task<AuthorizationDecision> RelatedAsync(string node, AuthorizationAttributes a, CancellationToken ct)
    {
        if (a.Name.Length == 0) return NoOpinion("No Object name found");
        return await HasPathAsync(node, a.Resource, a.Namespace, a.Name, ct).ConfigureAwait(false)
            ? new AuthorizationDecision(Decision.Allow)
            : NoOpinion($"no relationship found between node '{node}' and this object");
    }

    private async Task<bool> HasPathAsync(string node, string resource, string ns, string name, CancellationToken ct)
    {
        if (resource == "persistentvolumes")
        {
            // A volume is reachable through a claim bound to it that a pod on the node uses.
            var claims = catalog().Find("", "v1", "persistentvolumeclaims");
            if (claims == null) return false;
            var bound = await store().ListAsync(claims, "", new ListOptions { Predicate = c => (string?)c["spec"]?["volumeName"] == name }, ct).ConfigureAwait(false);
            foreach (var claim in bound.Items)
                if (await HasPathAsync(node, "persistentvolumeclaims", (string?)claim["metadata"]?["namespace"] ?? "", (string?)claim["metadata"]?["name"] ?? "", ct).ConfigureAwait(false))
                    return true;
            return false;
        }
        return await IndexAsync(ct).ConfigureAwait(false) is { } index && await index.HasPathAsync(node, resource, ns, name, ct).ConfigureAwait(false);
    }

    /// <summary>The index, started (and listed) on first use; null while pods are not served.</summary>
    private async ValueTask<NodeReferenceIndex?> IndexAsync(CancellationToken ct)
    {
        var index = Volatile.Read(ref _index);
        if (index == null)
        {
            if (catalog().Find("", "v1", "pods") is not { } pods) return null;
            lock (_startGate)
            {
                if (_index == null)
                {
                    var started = new NodeReferenceIndex(store().Storage, pods.KeyPrefix);
                    // Ends when the store is disposed.
                    _ = Task.Run(() => started.RunAsync(CancellationToken.None), CancellationToken.None);
                    Volatile.Write(ref _index, started);
                }
                index = _index;
            }
        }
        await index.Synced.WaitAsync(ct).ConfigureAwait(false);
        return index;
    }

    private static AuthorizationDecision NoOpinion(string reason) => new(Decision.NoOpinion, reason);
}
