using Anvil.Machinery.Meta;
using Anvil.Machinery.Schema;
using Anvil.Machinery.Tables;

namespace Anvil.ApiServer.Registry;

/// <summary>The built-in resources Anvil serves, with kube-apiserver 1.32's names, scopes and subresources.</summary>
public static class BuiltinResources
{
    private sealed record Spec(string Group, string Version, string Resource, string Kind, bool Namespaced,
        string[]? ShortNames = null, string[]? Categories = null, string[]? Subresources = null, string[]? Verbs = null);

    private static readonly string[] All = ["all"];
    private static readonly string[] Status = ["status"];
    /// <summary>Create-only resources answered by code, never stored (access reviews).</summary>
    private static readonly string[] Create = ["create"];

    private static readonly Spec[] Specs =
    [
        new("", "v1", "namespaces", "Namespace", false, ["ns"], null, ["status", "finalize"], ["create", "delete", "get", "list", "patch", "update", "watch"]),
        new("", "v1", "pods", "Pod", true, ["po"], All, ["status", "log", "exec", "attach", "portforward", "binding", "eviction", "ephemeralcontainers"]),
        new("", "v1", "services", "Service", true, ["svc"], All, ["status", "proxy"], ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]),
        new("", "v1", "endpoints", "Endpoints", true, ["ep"]),
        new("", "v1", "configmaps", "ConfigMap", true, ["cm"]),
        new("", "v1", "secrets", "Secret", true),
        new("", "v1", "serviceaccounts", "ServiceAccount", true, ["sa"], null, ["token"]),
        new("", "v1", "events", "Event", true, ["ev"]),
        new("", "v1", "nodes", "Node", false, ["no"], null, ["status", "proxy"]),
        new("", "v1", "resourcequotas", "ResourceQuota", true, ["quota"], null, Status),
        new("", "v1", "limitranges", "LimitRange", true, ["limits"]),
        new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, ["pvc"], null, Status),
        new("apps", "v1", "deployments", "Deployment", true, ["deploy"], All, ["status", "scale"]),
        new("apps", "v1", "replicasets", "ReplicaSet", true, ["rs"], All, ["status", "scale"]),
        new("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, Verbs: Create),
        new("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false, Verbs: Create),
        new("batch", "v1", "jobs", "Job", true, null, All, Status),
        new("batch", "v1", "cronjobs", "CronJob", true, ["cj"], All, Status),
        new("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, ["csr"], null, ["approval", "status"]),
        new("networking.k8s.io", "v1", "ingresses", "Ingress", true, ["ing"], null, Status),
        new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, ["netpol"]),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", true),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true),
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false),
        new("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", true, Verbs: Create),
        new("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, Verbs: Create),
        new("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, Verbs: Create),
        new("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, Verbs: Create),
        new("coordination.k8s.io", "v1", "leases", "Lease", true),
        new("events.k8s.io", "v1", "events", "Event", true, ["ev"]),
        new("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice", true),
        new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, ["pdb"], null, Status),
        new("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations", "MutatingWebhookConfiguration", false, null, ["api-extensions"]),
        new("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations", "ValidatingWebhookConfiguration", false, null, ["api-extensions"]),
        new("apiextensions.k8s.io", "v1", "customresourcedefinitions", "CustomResourceDefinition", false, ["crd", "crds"], ["api-extensions"], Status),
    ];

    /// <summary>Builds the definitions with the given strategy, printer, field-selector and schema sources.</summary>
    public static IReadOnlyList<ResourceDefinition> Build(
        Func<GroupVersionKind, ResourceStrategy> strategies,
        Func<string, string, ITablePrinter> printers,
        Func<string, string, IReadOnlyDictionary<string, Func<System.Text.Json.Nodes.JsonObject, string?>>> fieldSelectors,
        SchemaRegistry schemas)
    {
        var list = new List<ResourceDefinition>();
        foreach (var s in Specs)
        {
            var gvk = new GroupVersionKind(s.Group, s.Version, s.Kind);
            list.Add(new ResourceDefinition
            {
                Group = s.Group,
                Version = s.Version,
                Resource = s.Resource,
                Kind = s.Kind,
                Singular = s.Kind.ToLowerInvariant(),
                Namespaced = s.Namespaced,
                ShortNames = s.ShortNames ?? [],
                Categories = s.Categories ?? [],
                Verbs = s.Verbs ?? ResourceDefinition.StandardVerbs,
                Subresources = (s.Subresources ?? []).Select(sub => Subresource(s, sub)).ToList(),
                Strategy = strategies(gvk),
                Printer = printers(s.Group, s.Kind),
                FieldSelectors = fieldSelectors(s.Group, s.Kind),
                Schema = schemas.ForKind(gvk),
            });
        }
        return list;
    }

    private static SubresourceDefinition Subresource(Spec s, string name) => name switch
    {
        "status" => new(name, s.Group, s.Version, s.Kind, ["get", "patch", "update"]),
        "scale" => new(name, "autoscaling", "v1", "Scale", ["get", "patch", "update"]),
        "log" => new(name, s.Group, s.Version, s.Kind, ["get"]),
        "exec" => new(name, "", "v1", "PodExecOptions", ["create", "get"]),
        "attach" => new(name, "", "v1", "PodAttachOptions", ["create", "get"]),
        "portforward" => new(name, "", "v1", "PodPortForwardOptions", ["create", "get"]),
        "binding" => new(name, "", "v1", "Binding", ["create"]),
        "eviction" => new(name, "policy", "v1", "Eviction", ["create"]),
        "ephemeralcontainers" => new(name, s.Group, s.Version, s.Kind, ["get", "patch", "update"]),
        "proxy" => new(name, "", "v1", s.Kind == "Node" ? "NodeProxyOptions" : "ServiceProxyOptions", ["create", "delete", "get", "patch", "update"]),
        "finalize" => new(name, s.Group, s.Version, s.Kind, ["update"]),
        "approval" => new(name, s.Group, s.Version, s.Kind, ["get", "patch", "update"]),
        "token" => new(name, "authentication.k8s.io", "v1", "TokenRequest", ["create"]),
        _ => throw new ArgumentException($"unknown subresource {name}"),
    };
}
