using System.Text.Json.Nodes;
using Anvil.ApiServer.Authentication;
using Anvil.ApiServer.Registry;
using Anvil.Machinery.Errors;
using Anvil.Machinery.Meta;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.ApiServer.Authorization;

/// <summary>
/// Creates and reconciles the default ClusterRoles and ClusterRoleBindings at startup, as kube-apiserver's
/// rbac/bootstrap-roles post-start hook does: missing objects are created; existing ones annotated
/// <c>rbac.authorization.kubernetes.io/autoupdate: "true"</c> get missing rules, subjects, labels,
/// annotations and aggregation selectors added (never removed); <c>"false"</c> leaves them alone.
/// </summary>
public static class RbacBootstrap
{
    public const string AutoUpdateAnnotation = "rbac.authorization.kubernetes.io/autoupdate";
    public const string BootstrappingLabel = "kubernetes.io/bootstrapping";

    private static readonly UserInfo ApiServer = new("system:apiserver", [RbacAuthorizer.SystemMasters]);

    public static async Task EnsureAsync(ResourceStore store, ResourceCatalog catalog, CancellationToken ct)
    {
        var roles = catalog.Find(RbacAuthorizer.Group, "v1", "clusterroles")!;
        var bindings = catalog.Find(RbacAuthorizer.Group, "v1", "clusterrolebindings")!;
        foreach (var role in BootstrapPolicy.ClusterRoles)
            await EnsureAsync(store, roles, RoleObject(role), ReconcileRole, ct).ConfigureAwait(false);
        foreach (var binding in BootstrapPolicy.ClusterRoleBindings)
            await EnsureAsync(store, bindings, BindingObject(binding), ReconcileBinding, ct).ConfigureAwait(false);
    }

    private static WriteOptions Options => new() { FieldManager = "kube-apiserver", User = ApiServer };

    private static async Task EnsureAsync(ResourceStore store, ResourceDefinition def, JsonObject expected, Func<JsonObject, JsonObject, bool> reconcile, CancellationToken ct)
    {
        var name = ObjectMeta.Name(expected);
        var existing = await store.TryGetAsync(def, "", name, ct).ConfigureAwait(false);
        if (existing == null)
        {
            try
            {
                await store.CreateAsync(def, "", (JsonObject)expected.DeepClone(), Options, ct).ConfigureAwait(false);
                return;
            }
            catch (StatusError e) when (e.Reason == "AlreadyExists")
            {
            }
        }
        var roleRefChanged = false;
        await store.GuaranteedUpdateAsync(def, "", name, current =>
        {
            if (current == null || Str(ObjectMeta.Annotations(current)?[AutoUpdateAnnotation]) == "false") return current!;
            if (def.Resource == "clusterrolebindings" && !JsonNode.DeepEquals(current["roleRef"], expected["roleRef"]))
            {
                roleRefChanged = true;
                return current;
            }
            reconcile(current, expected);
            return current;
        }, Options, createIfMissing: false, hasPrecondition: false, ct).ConfigureAwait(false);
        if (roleRefChanged)
        {
            // roleRef is immutable: replace the binding (as upstream reconciliation does).
            await store.DeleteAsync(def, "", name, new DeleteOptions(), Options, ct).ConfigureAwait(false);
            await store.CreateAsync(def, "", (JsonObject)expected.DeepClone(), Options, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Adds what the expected role has and the stored one lacks. Returns whether anything changed.</summary>
    private static bool ReconcileRole(JsonObject current, JsonObject expected)
    {
        var changed = MergeMetadata(current, expected);
        var expectedAgg = expected["aggregationRule"] as JsonObject;
        var currentAgg = current["aggregationRule"] as JsonObject;
        if (expectedAgg == null || currentAgg == null)
        {
            var have = PolicyRule.ListFromJson(current["rules"]);
            var (_, missing) = PolicyCoverage.Covers(have, PolicyRule.ListFromJson(expected["rules"]));
            if (missing.Count > 0)
            {
                var rules = current["rules"] as JsonArray ?? new JsonArray();
                current["rules"] = rules;
                foreach (var m in missing) rules.Add(m.ToJson());
                changed = true;
            }
        }
        if (expectedAgg != null)
        {
            if (currentAgg == null)
            {
                current["aggregationRule"] = expectedAgg.DeepClone();
                return true;
            }
            var selectors = currentAgg["clusterRoleSelectors"] as JsonArray ?? new JsonArray();
            currentAgg["clusterRoleSelectors"] = selectors;
            foreach (var s in Arr(expectedAgg["clusterRoleSelectors"]) ?? [])
                if (!selectors.Any(x => JsonNode.DeepEquals(x, s)))
                {
                    selectors.Add(s?.DeepClone());
                    changed = true;
                }
        }
        return changed;
    }

    private static bool ReconcileBinding(JsonObject current, JsonObject expected)
    {
        var changed = MergeMetadata(current, expected);
        var subjects = current["subjects"] as JsonArray ?? new JsonArray();
        foreach (var s in Arr(expected["subjects"]) ?? [])
            if (!subjects.Any(x => JsonNode.DeepEquals(x, s)))
            {
                subjects.Add(s?.DeepClone());
                current["subjects"] = subjects;
                changed = true;
            }
        return changed;
    }

    /// <summary>Expected labels and annotations under the stored ones (stored values win).</summary>
    private static bool MergeMetadata(JsonObject current, JsonObject expected)
    {
        var changed = false;
        var meta = ObjectMeta.Of(current);
        foreach (var field in new[] { "labels", "annotations" })
        {
            if (expected["metadata"]?[field] is not JsonObject want) continue;
            var have = meta[field] as JsonObject ?? new JsonObject();
            foreach (var (k, v) in want)
                if (!have.ContainsKey(k))
                {
                    have[k] = v?.DeepClone();
                    meta[field] = have;
                    changed = true;
                }
        }
        return changed;
    }

    private static JsonObject Metadata(string name, IReadOnlyDictionary<string, string>? extraLabels)
    {
        var labels = new JsonObject { [BootstrappingLabel] = "rbac-defaults" };
        foreach (var (k, v) in extraLabels ?? new Dictionary<string, string>()) labels[k] = v;
        return new JsonObject
        {
            ["name"] = name,
            ["labels"] = labels,
            ["annotations"] = new JsonObject { [AutoUpdateAnnotation] = "true" },
        };
    }

    private static JsonObject RoleObject(BootstrapPolicy.Role role)
    {
        var obj = new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = Metadata(role.Name, role.ExtraLabels),
        };
        if (role.AggregateFrom is { } from)
            obj["aggregationRule"] = new JsonObject
            {
                ["clusterRoleSelectors"] = new JsonArray(from.Select(f => (JsonNode?)new JsonObject
                {
                    ["matchLabels"] = new JsonObject { ["rbac.authorization.k8s.io/aggregate-to-" + f] = "true" },
                }).ToArray()),
            };
        if (role.Rules.Length > 0) obj["rules"] = new JsonArray(role.Rules.Select(r => (JsonNode?)r.ToJson()).ToArray());
        return obj;
    }

    private static JsonObject BindingObject(BootstrapPolicy.Binding binding) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = Metadata(binding.Name, null),
        ["roleRef"] = new JsonObject { ["apiGroup"] = RbacAuthorizer.Group, ["kind"] = "ClusterRole", ["name"] = binding.RoleName },
        ["subjects"] = new JsonArray(binding.Subjects.Select(s =>
        {
            var o = new JsonObject { ["kind"] = s.Kind };
            if (s.Kind is "User" or "Group") o["apiGroup"] = RbacAuthorizer.Group;
            o["name"] = s.Name;
            if (s.Namespace.Length > 0) o["namespace"] = s.Namespace;
            return (JsonNode?)o;
        }).ToArray()),
    };
}
