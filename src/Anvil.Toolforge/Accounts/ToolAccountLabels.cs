namespace Anvil.Toolforge.Accounts;

/// <summary>Names of the labels, annotations and finalizer the tool-accounts controller and the admin commands use.</summary>
public static class ToolAccountLabels
{
    public const string Finalizer = "toolforge.org/tool-accounts";
    public const string ManagedBy = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "anvil-tool-accounts";
    /// <summary>On ClusterRoleBindings of human users: the user's name.</summary>
    public const string User = "toolforge.org/user";
    /// <summary>Tool annotation set by <c>anvil admin tools delete --purge-home</c>.</summary>
    public const string PurgeHome = "toolforge.org/purge-home";
    /// <summary>Namespace annotation: workloads were stopped because the tool is disabled.</summary>
    public const string WorkloadsStopped = "toolforge.org/workloads-stopped";
    /// <summary>Deployment annotation: replicas before the tool was disabled.</summary>
    public const string DisabledReplicas = "toolforge.org/disabled-replicas";
    /// <summary>CronJob/Job annotation: spec.suspend before the tool was disabled.</summary>
    public const string DisabledSuspend = "toolforge.org/disabled-suspend";
    /// <summary>ResourceQuota annotation: the quota override version last applied.</summary>
    public const string QuotaVersion = "toolforge.org/quota-version";
    /// <summary>ResourceQuota annotation: the values of that override (JSON), reapplied when the defaults change.</summary>
    public const string QuotaOverride = "toolforge.org/quota-override";
    /// <summary>ResourceQuota and LimitRange annotation: the fingerprint of the defaults they were written from.</summary>
    public const string QuotaDefaults = "toolforge.org/quota-defaults";
    /// <summary>Namespace annotation: the bare pods deleted when the tool was disabled (they cannot be suspended).</summary>
    public const string DeletedPods = "toolforge.org/disabled-deleted-pods";
    /// <summary>Observer ServiceAccount and ClusterRoleBinding label (wmcs-k8s-enable-cluster-monitor).</summary>
    public const string ObserverLabel = "tool.toolforge.org/name";
    public const string Marker = "maintain-kubeusers";
}
