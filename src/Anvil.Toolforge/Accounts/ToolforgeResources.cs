using Anvil.Client;

namespace Anvil.Toolforge.Accounts;

/// <summary>The resources the tool-accounts controller and the admin commands address.</summary>
public static class ToolforgeResources
{
    public static readonly ResourceRef Tools = new(ToolforgeCrds.Group, ToolforgeCrds.Version, "tools", false);
    public static readonly ResourceRef Users = new(ToolforgeCrds.Group, ToolforgeCrds.Version, "users", false);
    public static readonly ResourceRef Namespaces = ResourceRef.Namespaces;
    public static readonly ResourceRef ConfigMaps = new("", "v1", "configmaps", true);
    public static readonly ResourceRef ResourceQuotas = new("", "v1", "resourcequotas", true);
    public static readonly ResourceRef LimitRanges = new("", "v1", "limitranges", true);
    public static readonly ResourceRef ServiceAccounts = new("", "v1", "serviceaccounts", true);
    public static readonly ResourceRef RoleBindings = new("rbac.authorization.k8s.io", "v1", "rolebindings", true);
    public static readonly ResourceRef ClusterRoles = new("rbac.authorization.k8s.io", "v1", "clusterroles", false);
    public static readonly ResourceRef ClusterRoleBindings = new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", false);
    public static readonly ResourceRef Csrs = new("certificates.k8s.io", "v1", "certificatesigningrequests", false);
    public static readonly ResourceRef Deployments = new("apps", "v1", "deployments", true);
    public static readonly ResourceRef ReplicaSets = new("apps", "v1", "replicasets", true);
    public static readonly ResourceRef StatefulSets = new("apps", "v1", "statefulsets", true);
    public static readonly ResourceRef ReplicationControllers = new("", "v1", "replicationcontrollers", true);
    public static readonly ResourceRef Pods = new("", "v1", "pods", true);
    public static readonly ResourceRef CronJobs = new("batch", "v1", "cronjobs", true);
    public static readonly ResourceRef Jobs = new("batch", "v1", "jobs", true);
}
