using Anvil.Machinery.Validation;

namespace Anvil.ApiServer.Registry.Core;

/// <summary>Resource-name rules shared by quotas and limit ranges (pkg/apis/core/helper).</summary>
internal static class ResourceNames
{
    static readonly HashSet<string> StandardQuota =
    [
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps", "persistentvolumeclaims",
        "services.nodeports", "services.loadbalancers", "requests.cpu", "requests.memory", "requests.storage",
        "requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage", "cpu", "memory",
        "ephemeral-storage", "storage",
    ];

    public static bool IsStandardQuotaResource(string name) =>
        StandardQuota.Contains(name) || name.StartsWith("hugepages-", StringComparison.Ordinal) || name.StartsWith("requests.hugepages-", StringComparison.Ordinal);

    /// <summary>validateResourceName: a qualified name.</summary>
    public static IEnumerable<FieldError> ValidateResourceName(string name, string path) =>
        NameValidation.IsQualifiedName(name).Select(m => FieldError.Invalid(path, name, m));
}
