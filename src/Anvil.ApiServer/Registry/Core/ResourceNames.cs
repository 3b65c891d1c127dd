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

    static readonly HashSet<string> Standard =
    [
        "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory", "requests.ephemeral-storage", "limits.cpu",
        "limits.memory", "limits.ephemeral-storage", "pods", "services", "replicationcontrollers", "resourcequotas", "secrets",
        "persistentvolumeclaims", "configmaps", "storage", "requests.storage", "services.nodeports", "services.loadbalancers",
    ];

    /// <summary>helper.IsStandardResourceName.</summary>
    public static bool IsStandardResource(string name) =>
        Standard.Contains(name) || name.StartsWith("hugepages-", StringComparison.Ordinal) || name.StartsWith("requests.hugepages-", StringComparison.Ordinal);

    /// <summary>validateResourceName: a qualified name, and a standard one unless it has a domain.</summary>
    public static IEnumerable<FieldError> ValidateResourceName(string name, string path)
    {
        var errs = NameValidation.IsQualifiedName(name).Select(m => FieldError.Invalid(path, name, m)).ToList();
        if (errs.Count == 0 && !name.Contains('/') && !IsStandardResource(name))
            errs.Add(FieldError.Invalid(path, name, "must be a standard resource type or fully qualified"));
        return errs;
    }
}
