using System.Text.Json.Nodes;

namespace Anvil.Machinery.Tables;

/// <summary>
/// kube-apiserver's printers for the kinds Anvil serves (pkg/printers/internalversion/printers.go). The server
/// always prints wide, so every row has a cell for every column, priority-1 ones included.
/// </summary>
internal static partial class BuiltInPrinters
{
    // Built on first use: the printers live in other parts of this partial class, whose static
    // initializers have no defined order relative to this one.
    private static IReadOnlyDictionary<(string Group, string Kind), ITablePrinter>? _all;

    public static IReadOnlyDictionary<(string Group, string Kind), ITablePrinter> All => _all ??= new Dictionary<(string, string), ITablePrinter>
    {
        [("", "Namespace")] = Namespace,
        [("", "Pod")] = Pod,
        [("", "Service")] = Service,
        [("", "Endpoints")] = Endpoints,
        [("", "ConfigMap")] = ConfigMap,
        [("", "Secret")] = Secret,
        [("", "ServiceAccount")] = ServiceAccount,
        [("", "Event")] = Event,
        [("", "Node")] = Node,
        [("", "ResourceQuota")] = ResourceQuota,
        [("", "PersistentVolumeClaim")] = PersistentVolumeClaim,
        [("apps", "Deployment")] = Deployment,
        [("apps", "ReplicaSet")] = ReplicaSet,
        [("batch", "Job")] = Job,
        [("batch", "CronJob")] = CronJob,
        [("networking.k8s.io", "Ingress")] = Ingress,
        [("networking.k8s.io", "NetworkPolicy")] = NetworkPolicy,
        [("discovery.k8s.io", "EndpointSlice")] = EndpointSlice,
        [("rbac.authorization.k8s.io", "RoleBinding")] = RoleBinding,
        [("rbac.authorization.k8s.io", "ClusterRoleBinding")] = ClusterRoleBinding,
        [("coordination.k8s.io", "Lease")] = Lease,
        [("events.k8s.io", "Event")] = EventsV1Event,
        [("policy", "PodDisruptionBudget")] = PodDisruptionBudget,
        [("certificates.k8s.io", "CertificateSigningRequest")] = CertificateSigningRequest,
        [("admissionregistration.k8s.io", "MutatingWebhookConfiguration")] = WebhookConfiguration,
        [("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")] = WebhookConfiguration,
        // Roles, ClusterRoles, LimitRanges and CustomResourceDefinitions have no printer upstream:
        // they use the default table convertor (Name, Created At).
    };

    private static TableColumn NameColumn => new("Name", "string", "name", TableFormat.NameDescription);

    private static TableColumn AgeColumn => new("Age", "string", "", TableFormat.CreationTimestampDescription);

    private static TableColumn Col(string name, string type, string description, int priority = 0) => new(name, type, "", description, priority);

    private static TableColumn ContainersColumn => Col("Containers", "string", "Names of each container in the template.", 1);

    private static TableColumn ImagesColumn => Col("Images", "string", "Images referenced by each container in the template.", 1);

    private static string Name(JsonObject o) => Json.Str(o, "metadata", "name");

    private static ITablePrinter Printer(TableColumn[] columns, Func<JsonObject, DateTimeOffset, object?[]> cells) => new DelegateTablePrinter(columns, cells);
}
