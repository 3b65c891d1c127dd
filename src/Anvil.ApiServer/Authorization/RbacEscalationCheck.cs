using System.Text.Json.Nodes;
using Anvil.ApiServer.Admission;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// RBAC's privilege-escalation prevention (pkg/registry/rbac/*/policybased): a role may only be written with rules
/// its author holds, unless they may <c>escalate</c> roles; a binding may only be written to a role whose rules its
/// author holds, unless they may <c>bind</c> that role. <c>system:masters</c> is exempt.
/// </summary>
/// <remarks>
/// Upstream checks in the storage layer, after mutating admission and before validation, so it runs in the
/// mutating phase here (registered last) and changes nothing: a forbidden write is Forbidden even when invalid too.
/// </remarks>
public sealed class RbacEscalationCheck(RbacAuthorizer rbac, Func<ResourceStore> store, Func<ResourceCatalog> catalog) : IAdmissionPlugin
{
    /// <summary>Every verb on everything: what setting an aggregationRule needs.</summary>
    private static readonly PolicyRule[] FullAuthority = [new(["*"], ["*"], ["*"]), new(["*"], nonResourceUrls: ["*"])];

    public string Name => "RBACEscalationPrevention";

    public async ValueTask MutateAsync(AdmissionAttributes a, CancellationToken ct)
    {
        if (a.Resource.Group != RbacAuthorizer.Group || a.Subresource.Length > 0 || a.Object == null) return;
        if (a.Operation is not (AdmissionOperation.Create or AdmissionOperation.Update)) return;
        if (RbacAuthorizer.IsPrivileged(a.User)) return;
        switch (a.Resource.Resource)
        {
            case "roles" or "clusterroles":
                CheckRole(a);
                break;
            case "rolebindings" or "clusterrolebindings":
                await CheckBindingAsync(a, ct).ConfigureAwait(false);
                break;
        }
    }

    private void CheckRole(AdmissionAttributes a)
    {
        // RoleEscalationAuthorized: the request's own name, which a create (POST to the collection) does not have.
        var escalate = new AuthorizationAttributes
        {
            User = a.User, Verb = "escalate", IsResourceRequest = true, ApiGroup = a.Resource.Group, ApiVersion = "*",
            Resource = a.Resource.Resource, Namespace = a.Namespace, Name = a.Operation == AdmissionOperation.Create ? "" : a.Name,
        };
        if (rbac.Authorize(escalate).Allowed) return;
        var obj = a.Object!;
        if (a.OldObject != null && IsOnlyMutatingGcFields(obj, a.OldObject)) return;
        var name = ObjectMeta.Name(obj);
        ConfirmNoEscalation(a, name, PolicyRule.ListFromJson(obj["rules"]));
        if (a.Resource.Resource == "clusterroles" && (obj["aggregationRule"] is JsonObject || a.OldObject?["aggregationRule"] is JsonObject))
        {
            try
            {
                ConfirmNoEscalation(a, name, FullAuthority);
            }
            catch (StatusError)
            {
                throw StatusError.Forbidden(a.Resource.GroupResource, name, "must have cluster-admin privileges to use the aggregationRule");
            }
        }
    }

    private async Task CheckBindingAsync(AdmissionAttributes a, CancellationToken ct)
    {
        var obj = a.Object!;
        if (a.OldObject != null && IsOnlyMutatingGcFields(obj, a.OldObject)) return;
        var roleRef = obj["roleRef"] as JsonObject;
        var kind = Str(roleRef?["kind"]) ?? "";
        var roleName = Str(roleRef?["name"]) ?? "";
        var resource = kind switch { "ClusterRole" => "clusterroles", "Role" => "roles", _ => "" };
        // An unknown kind is left to validation, which refuses it with the supported values.
        if (resource.Length == 0) return;
        // BindingAuthorized: "bind" on the referenced role, in the binding's namespace ("" for cluster bindings).
        var bind = new AuthorizationAttributes
        {
            User = a.User, Verb = "bind", IsResourceRequest = true, ApiGroup = Str(roleRef?["apiGroup"]) ?? "",
            Resource = resource, Name = roleName, Namespace = a.Namespace,
        };
        if (rbac.Authorize(bind).Allowed) return;
        // The referenced role is read from storage, as upstream's registry-backed resolver does, so a role
        // written just before its binding is found even before the index has seen it.
        var def = catalog().Find(RbacAuthorizer.Group, "v1", resource)!;
        var role = await store().TryGetAsync(def, kind == "Role" ? a.Namespace : "", roleName, ct).ConfigureAwait(false)
            ?? throw StatusError.NotFound(def.GroupResource, roleName);
        ConfirmNoEscalation(a, ObjectMeta.Name(obj), PolicyRule.ListFromJson(role.Object["rules"]));
    }

    /// <summary>ConfirmNoEscalation: Forbidden listing the rights the requester lacks, in upstream's words.</summary>
    private void ConfirmNoEscalation(AdmissionAttributes a, string name, IReadOnlyList<PolicyRule> rules)
    {
        var message = EscalationMessage(rbac, a.User, a.Namespace, rules);
        if (message != null) throw StatusError.Forbidden(a.Resource.GroupResource, name, message);
    }

    /// <summary>The escalation error text for <paramref name="rules"/>, or null when the user holds them all in <paramref name="ns"/>.</summary>
    public static string? EscalationMessage(RbacAuthorizer rbac, UserInfo user, string ns, IReadOnlyList<PolicyRule> rules)
    {
        var (owner, errors) = rbac.RulesFor(user, ns);
        var (covered, missing) = PolicyCoverage.Covers(owner, rules);
        if (covered) return null;
        var descriptions = PolicyCoverage.Compact(missing).Select(r => r.CompactString()).Distinct().Order(StringComparer.Ordinal);
        var message = $"user {Anvil.Machinery.Validation.GoQuote.Quote(user.Name)} (groups={PolicyRule.GoList(user.Groups)}) is attempting to grant RBAC permissions not currently held:\n"
            + string.Join("\n", descriptions);
        if (errors.Count > 0) message += $"; resolution errors: [{RbacAuthorizer.Aggregate(errors)}]";
        return message;
    }

    /// <summary>IsOnlyMutatingGCFields: the write changes nothing but ownerReferences and finalizers (the garbage collector's business).</summary>
    private static bool IsOnlyMutatingGcFields(JsonObject obj, JsonObject old)
    {
        var copy = (JsonObject)obj.DeepClone();
        var meta = ObjectMeta.Of(copy);
        var oldMeta = old["metadata"] as JsonObject ?? new JsonObject();
        foreach (var field in new[] { "ownerReferences", "finalizers", "selfLink", "managedFields" })
        {
            if (oldMeta[field] is { } v) meta[field] = v.DeepClone();
            else meta.Remove(field);
        }
        return JsonNode.DeepEquals(copy, old);
    }
}
