using Anvil.ApiServer.Registry.AdmissionRegistration;
using Anvil.ApiServer.Registry.ApiExtensions;
using Anvil.ApiServer.Registry.Apps;
using Anvil.ApiServer.Registry.Batch;
using Anvil.ApiServer.Registry.Certificates;
using Anvil.ApiServer.Registry.Coordination;
using Anvil.ApiServer.Registry.Core;
using Anvil.ApiServer.Registry.Discovery;
using Anvil.ApiServer.Registry.Networking;
using Anvil.ApiServer.Registry.Policy;
using Anvil.ApiServer.Registry.Rbac;
using Anvil.Machinery.Meta;

namespace Anvil.ApiServer.Registry;

/// <summary>
/// The strategies of kube-apiserver's built-in kinds, looked up by group and kind (every served version of a
/// kind shares the JSON shape these strategies read). Kinds without their own strategy get a plain
/// <see cref="ResourceStrategy"/>.
/// </summary>
public static class BuiltinStrategies
{
    static readonly ResourceStrategy Plain = new();

    static readonly Dictionary<(string Group, string Kind), ResourceStrategy> ByKind = new()
    {
        [("", "Pod")] = PodStrategy.Instance,
        [("", "Namespace")] = NamespaceStrategy.Instance,
        [("", "Service")] = ServiceStrategy.Instance,
        [("", "ConfigMap")] = ConfigMapStrategy.Instance,
        [("", "Secret")] = SecretStrategy.Instance,
        [("", "ServiceAccount")] = ServiceAccountStrategy.Instance,
        [("", "Endpoints")] = EndpointsStrategy.Instance,
        [("", "Event")] = EventStrategy.Core,
        [("events.k8s.io", "Event")] = EventStrategy.EventsV1,
        [("", "Node")] = NodeStrategy.Instance,
        [("", "ResourceQuota")] = ResourceQuotaStrategy.Instance,
        [("", "LimitRange")] = LimitRangeStrategy.Instance,
        [("", "PersistentVolumeClaim")] = PersistentVolumeClaimStrategy.Instance,
        [("networking.k8s.io", "Ingress")] = IngressStrategy.Instance,
        [("networking.k8s.io", "NetworkPolicy")] = NetworkPolicyStrategy.Instance,
        [("rbac.authorization.k8s.io", "Role")] = RoleStrategy.Role,
        [("rbac.authorization.k8s.io", "ClusterRole")] = RoleStrategy.ClusterRole,
        [("rbac.authorization.k8s.io", "RoleBinding")] = RoleBindingStrategy.RoleBinding,
        [("rbac.authorization.k8s.io", "ClusterRoleBinding")] = RoleBindingStrategy.ClusterRoleBinding,
        [("coordination.k8s.io", "Lease")] = LeaseStrategy.Instance,
        [("discovery.k8s.io", "EndpointSlice")] = EndpointSliceStrategy.Instance,
        [("policy", "PodDisruptionBudget")] = PodDisruptionBudgetStrategy.Instance,
        [("admissionregistration.k8s.io", "MutatingWebhookConfiguration")] = WebhookConfigurationStrategy.Mutating,
        [("admissionregistration.k8s.io", "ValidatingWebhookConfiguration")] = WebhookConfigurationStrategy.Validating,
        [("apiextensions.k8s.io", "CustomResourceDefinition")] = CustomResourceDefinitionStrategy.Instance,
        [("apps", "Deployment")] = DeploymentStrategy.Instance,
        [("apps", "ReplicaSet")] = ReplicaSetStrategy.Instance,
        [("apps", "DaemonSet")] = DaemonSetStrategy.Instance,
        [("apps", "StatefulSet")] = StatefulSetStrategy.Instance,
        [("batch", "Job")] = JobStrategy.Instance,
        [("batch", "CronJob")] = CronJobStrategy.Instance,
        [("certificates.k8s.io", "CertificateSigningRequest")] = CertificateSigningRequestStrategy.Instance,
    };

    static readonly Dictionary<(string Group, string Kind), StatusStrategy> StatusByKind =
        ByKind.Where(p => p.Value.HasStatus).ToDictionary(p => p.Key, p => new StatusStrategy(p.Value));

    /// <summary>The main strategy of a kind; a plain <see cref="ResourceStrategy"/> for kinds without one.</summary>
    public static ResourceStrategy For(GroupVersionKind gvk) => ByKind.GetValueOrDefault((gvk.Group, gvk.Kind)) ?? Plain;

    /// <summary>The <c>/status</c> strategy of a kind, or null when the kind has no status subresource here.</summary>
    public static StatusStrategy? StatusFor(GroupVersionKind gvk) => StatusByKind.GetValueOrDefault((gvk.Group, gvk.Kind));

    /// <summary>Whether a kind has its own strategy (not the plain fallback).</summary>
    public static bool Has(GroupVersionKind gvk) => ByKind.ContainsKey((gvk.Group, gvk.Kind));
}
