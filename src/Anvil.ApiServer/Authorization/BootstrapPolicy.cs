namespace Anvil.ApiServer.Authorization;

/// <summary>
/// The default ClusterRoles and ClusterRoleBindings of kube-apiserver 1.32
/// (plugin/pkg/auth/authorizer/rbac/bootstrappolicy), with Anvil's differences noted where they are.
/// </summary>
public static class BootstrapPolicy
{
    public sealed record Role(string Name, PolicyRule[] Rules, IReadOnlyDictionary<string, string>? ExtraLabels = null, string[]? AggregateFrom = null);

    public sealed record BindingSubject(string Kind, string Name, string Namespace = "");

    public sealed record Binding(string Name, string RoleName, BindingSubject[] Subjects);

    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];
    private static readonly string[] ReadWrite = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    private static PolicyRule R(string[] verbs, string[] groups, params string[] resources) => new(verbs, groups, resources);
    private static PolicyRule Named(string[] verbs, string[] groups, string[] resources, params string[] names) => new(verbs, groups, resources, names);
    private static PolicyRule Urls(string[] verbs, params string[] urls) => new(verbs, nonResourceUrls: urls);
    private static Dictionary<string, string> AggregateTo(string role) => new() { ["rbac.authorization.k8s.io/aggregate-to-" + role] = "true" };

    private static readonly string[] Core = [""];
    private static readonly PolicyRule Events = R(["create", "patch", "update"], ["", "events.k8s.io"], "events");

    public static IReadOnlyList<Role> ClusterRoles { get; } =
    [
        new("cluster-admin", [R(["*"], ["*"], "*"), Urls(["*"], "*")]),
        new("admin", [], AggregateFrom: ["admin"]),
        new("edit", [], AggregateTo("admin"), ["edit"]),
        new("view", [], AggregateTo("edit"), ["view"]),
        new("system:aggregate-to-admin",
        [
            R(["create"], ["authorization.k8s.io"], "localsubjectaccessreviews"),
            R(ReadWrite, ["rbac.authorization.k8s.io"], "rolebindings", "roles"),
        ], AggregateTo("admin")),
        new("system:aggregate-to-edit",
        [
            R(Read, Core, "pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"),
            R(["impersonate"], Core, "serviceaccounts"),
            R(Write, Core, "pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"),
            R(["create"], Core, "pods/eviction"),
            R(Write, Core, "configmaps", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"),
            R(["create"], Core, "serviceaccounts/token"),
            R(Write, ["apps"], "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"),
            R(Write, ["autoscaling"], "horizontalpodautoscalers"),
            R(Write, ["batch"], "cronjobs", "jobs"),
            R(Write, ["extensions"], "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"),
            R(Write, ["policy"], "poddisruptionbudgets"),
            R(Write, ["networking.k8s.io"], "ingresses", "networkpolicies"),
            R(ReadWrite, ["coordination.k8s.io"], "leases"),
        ], AggregateTo("edit")),
        new("system:aggregate-to-view",
        [
            R(Read, Core, "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"),
            R(Read, Core, "bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"),
            R(Read, Core, "namespaces"),
            R(Read, ["discovery.k8s.io"], "endpointslices"),
            R(Read, ["apps"], "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"),
            R(Read, ["autoscaling"], "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
            R(Read, ["batch"], "cronjobs", "cronjobs/status", "jobs", "jobs/status"),
            R(Read, ["extensions"], "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale"),
            R(Read, ["policy"], "poddisruptionbudgets", "poddisruptionbudgets/status"),
            R(Read, ["networking.k8s.io"], "ingresses", "ingresses/status", "networkpolicies"),
        ], AggregateTo("view")),
        // Installed with metrics-server in a real cluster; metrics.k8s.io is built in here, so is its reader role.
        new("system:aggregated-metrics-reader", [R(Read, ["metrics.k8s.io"], "nodes", "pods")], new Dictionary<string, string>
        {
            ["rbac.authorization.k8s.io/aggregate-to-admin"] = "true",
            ["rbac.authorization.k8s.io/aggregate-to-edit"] = "true",
            ["rbac.authorization.k8s.io/aggregate-to-view"] = "true",
        }),
        new("system:auth-delegator",
        [
            R(["create"], ["authentication.k8s.io"], "tokenreviews"),
            R(["create"], ["authorization.k8s.io"], "subjectaccessreviews"),
        ]),
        new("system:basic-user",
        [
            R(["create"], ["authorization.k8s.io"], "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
            R(["create"], ["authentication.k8s.io"], "selfsubjectreviews"),
        ]),
        new("system:certificates.k8s.io:certificatesigningrequests:nodeclient", [R(["create"], ["certificates.k8s.io"], "certificatesigningrequests/nodeclient")]),
        new("system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", [R(["create"], ["certificates.k8s.io"], "certificatesigningrequests/selfnodeclient")]),
        new("system:certificates.k8s.io:kube-apiserver-client-approver", [Named(["approve"], ["certificates.k8s.io"], ["signers"], "kubernetes.io/kube-apiserver-client")]),
        new("system:certificates.k8s.io:kube-apiserver-client-kubelet-approver", [Named(["approve"], ["certificates.k8s.io"], ["signers"], "kubernetes.io/kube-apiserver-client-kubelet")]),
        new("system:certificates.k8s.io:kubelet-serving-approver", [Named(["approve"], ["certificates.k8s.io"], ["signers"], "kubernetes.io/kubelet-serving")]),
        new("system:certificates.k8s.io:legacy-unknown-approver", [Named(["approve"], ["certificates.k8s.io"], ["signers"], "kubernetes.io/legacy-unknown")]),
        new("system:discovery", [Urls(["get"], "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/")]),
        new("system:kube-controller-manager",
        [
            Events,
            R(["create"], ["coordination.k8s.io"], "leases"),
            Named(["get", "update"], ["coordination.k8s.io"], ["leases"], "kube-controller-manager"),
            R(["create"], Core, "secrets", "serviceaccounts"),
            R(["delete"], Core, "secrets"),
            R(["get"], Core, "configmaps", "namespaces", "secrets", "serviceaccounts"),
            R(["update"], Core, "secrets", "serviceaccounts"),
            R(["create"], ["authentication.k8s.io"], "tokenreviews"),
            R(["create"], ["authorization.k8s.io"], "subjectaccessreviews"),
            R(["list", "watch"], ["*"], "*"),
            R(["create"], Core, "serviceaccounts/token"),
            // Anvil: every controller runs as this user (no per-controller service accounts), so it holds what
            // upstream gives system:controller:namespace-controller and system:controller:generic-garbage-collector.
            R(["delete", "deletecollection", "get", "list", "patch", "update", "watch"], ["*"], "*"),
            R(["update"], Core, "namespaces/finalize", "namespaces/status"),
            // ...and what the workload controllers create: replicaset/deployment, job/cronjob, endpoints.
            R(["create"], Core, "pods", "endpoints"),
            R(["create"], ["discovery.k8s.io"], "endpointslices"),
            R(["create"], ["apps"], "replicasets"),
            R(["create"], ["batch"], "jobs"),
        ]),
        new("system:kube-dns", [R(["list", "watch"], Core, "endpoints", "services")]),
        // Anvil: Toolforge's maintain-kubeusers (the in-process tool-accounts controller). It binds tools-user,
        // view and k8s-admin without holding them (bind), and gets client certificates through the CSR API.
        new("system:anvil:tool-accounts",
        [
            R(["get", "list", "watch", "update", "patch"], ["toolforge.org"], "tools", "users"),
            R(["get", "update", "patch"], ["toolforge.org"], "tools/status", "users/status"),
            R(["create", "delete", "get", "list", "patch", "update", "watch"], Core, "namespaces", "configmaps", "resourcequotas", "limitranges"),
            R(["create", "delete", "get", "list", "patch", "update", "watch"], ["rbac.authorization.k8s.io"], "rolebindings", "clusterrolebindings"),
            Named(["bind"], ["rbac.authorization.k8s.io"], ["clusterroles"], "tools-user", "view", "k8s-admin"),
            R(["create", "delete", "get", "list", "watch"], ["certificates.k8s.io"], "certificatesigningrequests"),
            R(["update"], ["certificates.k8s.io"], "certificatesigningrequests/approval"),
            Named(["approve"], ["certificates.k8s.io"], ["signers"], "kubernetes.io/kube-apiserver-client"),
            R(["get", "list", "watch", "patch", "update"], ["apps"], "deployments", "replicasets", "statefulsets"),
            R(["get", "list", "watch", "patch", "update"], ["batch"], "cronjobs", "jobs"),
            // Disabling a tool scales its ReplicationControllers to 0 and deletes its bare pods.
            R(["get", "list", "watch", "patch", "update"], Core, "replicationcontrollers"),
            R(["get", "list", "watch", "delete"], Core, "pods"),
            Events,
        ]),
        // kube-controller-manager's service account controllers write as their own service accounts (their
        // informers read under the controller manager's identity, as upstream's shared informers do).
        new("system:controller:root-ca-cert-publisher", [R(["create", "update"], Core, "configmaps"), Events]),
        new("system:controller:service-account-controller", [R(["create"], Core, "serviceaccounts"), Events]),
        // kube-controller-manager's certificate controller: the in-process signer writes as this service account.
        new("system:controller:certificate-controller",
        [
            R(["get", "list", "watch", "delete"], ["certificates.k8s.io"], "certificatesigningrequests"),
            R(["update"], ["certificates.k8s.io"], "certificatesigningrequests/approval", "certificatesigningrequests/status"),
            Named(["sign"], ["certificates.k8s.io"], ["signers"], "kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet", "kubernetes.io/kubelet-serving", "kubernetes.io/legacy-unknown"),
            R(["create"], ["authorization.k8s.io"], "subjectaccessreviews"),
            R(["create", "patch", "update"], Core, "events"),
        ]),
        // Upstream's role of the node lifecycle controller (Anvil's runs as system:kube-controller-manager, which holds all of this).
        new("system:controller:node-controller",
        [
            R(["get", "list", "update", "delete", "patch"], Core, "nodes"),
            R(["patch", "update"], Core, "nodes/status"),
            R(["patch", "update"], Core, "pods/status"),
            R(["list", "delete"], Core, "pods"),
            R(["create", "patch", "update"], Core, "events"),
        ]),
        new("system:controller:resourcequota-controller",
        [
            R(["list", "watch"], ["*"], "*"),
            R(["get"], Core, "resourcequotas"),
            R(["update"], Core, "resourcequotas/status"),
            R(["create", "patch", "update"], Core, "events"),
        ]),
        new("system:kube-scheduler",
        [
            Events,
            R(["create"], ["coordination.k8s.io"], "leases"),
            Named(["get", "update"], ["coordination.k8s.io"], ["leases"], "kube-scheduler"),
            R(Read, Core, "nodes"),
            R(["delete", "get", "list", "watch"], Core, "pods"),
            R(["create"], Core, "bindings", "pods/binding"),
            R(["patch", "update"], Core, "pods/status"),
            R(Read, Core, "replicationcontrollers", "services"),
            R(Read, ["apps", "extensions"], "replicasets"),
            R(Read, ["apps"], "statefulsets"),
            R(Read, ["policy"], "poddisruptionbudgets"),
            R(Read, Core, "persistentvolumeclaims", "persistentvolumes"),
            R(["create"], ["authentication.k8s.io"], "tokenreviews"),
            R(["create"], ["authorization.k8s.io"], "subjectaccessreviews"),
            R(Read, ["storage.k8s.io"], "csinodes"),
            R(Read, Core, "namespaces"),
            R(Read, ["storage.k8s.io"], "csidrivers"),
            R(Read, ["storage.k8s.io"], "csistoragecapacities"),
        ]),
        new("system:monitoring", [Urls(["get"], "/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*")]),
        new("system:node",
        [
            R(["create"], ["authentication.k8s.io"], "tokenreviews"),
            R(["create"], ["authorization.k8s.io"], "localsubjectaccessreviews", "subjectaccessreviews"),
            R(Read, Core, "services"),
            R(["create", "get", "list", "watch"], Core, "nodes"),
            R(["patch", "update"], Core, "nodes/status"),
            R(["patch", "update"], Core, "nodes"),
            R(["create", "patch", "update"], Core, "events"),
            R(Read, Core, "pods"),
            R(["create", "delete"], Core, "pods"),
            R(["patch", "update"], Core, "pods/status"),
            R(["create"], Core, "pods/eviction"),
            R(Read, Core, "configmaps", "secrets"),
            R(["get"], Core, "persistentvolumeclaims", "persistentvolumes"),
            R(["get"], Core, "endpoints"),
            R(["create", "get", "list", "watch"], ["certificates.k8s.io"], "certificatesigningrequests"),
            R(["create", "delete", "get", "patch", "update"], ["coordination.k8s.io"], "leases"),
            R(["get"], ["storage.k8s.io"], "volumeattachments"),
            R(["create"], Core, "serviceaccounts/token"),
            R(["get", "patch", "update"], Core, "persistentvolumeclaims/status"),
            R(Read, ["storage.k8s.io"], "csidrivers"),
            R(["create", "delete", "get", "patch", "update"], ["storage.k8s.io"], "csinodes"),
            R(Read, ["node.k8s.io"], "runtimeclasses"),
        ]),
        new("system:node-bootstrapper", [R(["create", "get", "list", "watch"], ["certificates.k8s.io"], "certificatesigningrequests")]),
        new("system:node-proxier",
        [
            R(["list", "watch"], Core, "endpoints", "services"),
            R(Read, Core, "nodes"),
            Events,
            R(["list", "watch"], ["discovery.k8s.io"], "endpointslices"),
        ]),
        new("system:public-info-viewer", [Urls(["get"], "/healthz", "/livez", "/readyz", "/version", "/version/")]),
        new("system:service-account-issuer-discovery", [Urls(["get"], "/.well-known/openid-configuration", "/openid/v1/jwks")]),
        new("system:volume-scheduler",
        [
            R(["get", "list", "patch", "update", "watch"], Core, "persistentvolumes"),
            R(Read, ["storage.k8s.io"], "storageclasses"),
            R(["get", "list", "patch", "update", "watch"], Core, "persistentvolumeclaims"),
        ]),
    ];

    private static BindingSubject G(string name) => new("Group", name);
    private static BindingSubject U(string name) => new("User", name);

    public static IReadOnlyList<Binding> ClusterRoleBindings { get; } =
    [
        new("cluster-admin", "cluster-admin", [G("system:masters")]),
        new("system:monitoring", "system:monitoring", [G("system:monitoring")]),
        new("system:discovery", "system:discovery", [G("system:authenticated")]),
        new("system:basic-user", "system:basic-user", [G("system:authenticated")]),
        new("system:public-info-viewer", "system:public-info-viewer", [G("system:authenticated"), G("system:unauthenticated")]),
        new("system:node-proxier", "system:node-proxier", [U("system:kube-proxy")]),
        new("system:kube-controller-manager", "system:kube-controller-manager", [U("system:kube-controller-manager")]),
        new("system:kube-dns", "system:kube-dns", [new("ServiceAccount", "kube-dns", "kube-system")]),
        new("system:anvil:tool-accounts", "system:anvil:tool-accounts", [U("system:anvil:tool-accounts")]),
        new("system:kube-scheduler", "system:kube-scheduler", [U("system:kube-scheduler")]),
        new("system:controller:certificate-controller", "system:controller:certificate-controller", [new("ServiceAccount", "certificate-controller", "kube-system")]),
        new("system:controller:node-controller", "system:controller:node-controller", [new("ServiceAccount", "node-controller", "kube-system")]),
        new("system:controller:resourcequota-controller", "system:controller:resourcequota-controller", [new("ServiceAccount", "resourcequota-controller", "kube-system")]),
        new("system:volume-scheduler", "system:volume-scheduler", [U("system:kube-scheduler")]),
        new("system:service-account-issuer-discovery", "system:service-account-issuer-discovery", [G("system:serviceaccounts")]),
        new("system:controller:root-ca-cert-publisher", "system:controller:root-ca-cert-publisher", [new("ServiceAccount", "root-ca-cert-publisher", "kube-system")]),
        new("system:controller:service-account-controller", "system:controller:service-account-controller", [new("ServiceAccount", "service-account-controller", "kube-system")]),
        // Nodes are authorized by the Node authorizer (NodeAuthorizer); the binding stays without subjects as upstream's.
        new("system:node", "system:node", []),
    ];
}
