using Anvil.ApiServer.Registry.Apps;
using Anvil.ApiServer.Registry.Batch;
using Anvil.ApiServer.Registry.Core;
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
        [("apps", "Deployment")] = DeploymentStrategy.Instance,
        [("apps", "ReplicaSet")] = ReplicaSetStrategy.Instance,
        [("batch", "Job")] = JobStrategy.Instance,
        [("batch", "CronJob")] = CronJobStrategy.Instance,
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
