using System.Text.Json.Nodes;

namespace Anvil.Toolforge.Accounts;

/// <summary>
/// The ClusterRoles of Toolforge's accounts: <c>tools-user</c> (what a tool may do in its namespace, from
/// maintain-kubeusers' chart), <c>k8s-admin</c> (impersonation, for kubectl sudo) and <c>tool-observer</c>
/// (read-only, no secrets, from operations-puppet's toolforge-tool-roles.yaml). Admins also get <c>view</c>.
/// </summary>
public static class ToolforgeRoles
{
    public const string ToolsUser = "tools-user";
    public const string K8sAdmin = "k8s-admin";
    public const string ToolObserver = "tool-observer";
    /// <summary>Admins' read access: everything but secrets (the built-in aggregated <c>view</c>, as Toolforge binds).</summary>
    public const string AdminView = "view";

    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] All = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static JsonObject ToolsUserRole() => Role(ToolsUser,
        Rule(Read, [""], "bindings", "events", "limitranges", "namespaces", "pods/log", "pods/status", "resourcequotas", "replicationcontrollers"),
        Rule(All, [""], "configmaps", "endpoints", "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services", "services/proxy"),
        Rule(All, ["apps"], "deployments", "deployments/rollback", "deployments/scale", "replicasets", "statefulsets"),
        Rule(All, ["batch"], "cronjobs", "jobs"),
        Rule(All, ["networking.k8s.io"], "ingresses", "networkpolicies"),
        Rule(Read, ["autoscaling"], "horizontalpodautoscalers"),
        Rule(Read, ["policy"], "poddisruptionbudgets"),
        Rule(Read, ["metrics.k8s.io"], "pods"),
        Rule(Read, ["apps"], "controllerrevisions", "daemonsets"));

    public static JsonObject K8sAdminRole() => Role(K8sAdmin, Rule(["impersonate"], [""], "users", "groups", "serviceaccounts"));

    public static JsonObject ToolObserverRole() => Role(ToolObserver,
        Rule(Read, [""], "bindings", "configmaps", "endpoints", "events", "limitranges", "limitranges/status", "namespaces", "namespaces/status",
            "nodes", "nodes/status", "pods", "pods/status", "resourcequotas", "resourcequotas/status", "serviceaccounts", "services", "services/status"),
        Rule(Read, ["apps"], "daemonsets", "daemonsets/scale", "deployments", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"),
        Rule(Read, ["autoscaling"], "horizontalpodautoscalers"),
        Rule(Read, ["batch"], "cronjobs", "jobs"),
        Rule(Read, ["networking.k8s.io"], "ingresses", "networkpolicies"),
        Rule(Read, ["metrics.k8s.io"], "pods", "nodes"),
        Rule(Read, ["policy"], "poddisruptionbudgets"));

    public static IReadOnlyList<JsonObject> Roles() => [ToolsUserRole(), K8sAdminRole(), ToolObserverRole()];

    private static JsonObject Rule(string[] verbs, string[] groups, params string[] resources) => new()
    {
        ["apiGroups"] = new JsonArray(groups.Select(g => (JsonNode?)g).ToArray()),
        ["resources"] = new JsonArray(resources.Select(r => (JsonNode?)r).ToArray()),
        ["verbs"] = new JsonArray(verbs.Select(v => (JsonNode?)v).ToArray()),
    };

    private static JsonObject Role(string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRole",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["app.kubernetes.io/managed-by"] = "anvil-toolforge" },
        },
        ["rules"] = new JsonArray(rules.Select(r => (JsonNode?)r).ToArray()),
    };
}
