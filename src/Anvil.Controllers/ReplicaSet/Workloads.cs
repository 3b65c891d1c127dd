using Anvil.Client;

namespace Anvil.Controllers.ReplicaSet;

/// <summary>The resources the workload controllers read and write.</summary>
public static class Workloads
{
    public static readonly ResourceRef Pods = new("", "v1", "pods", true);
    public static readonly ResourceRef Services = new("", "v1", "services", true);
    public static readonly ResourceRef Endpoints = new("", "v1", "endpoints", true);
    public static readonly ResourceRef Events = new("", "v1", "events", true);
    public static readonly ResourceRef ReplicaSets = new("apps", "v1", "replicasets", true);
    public static readonly ResourceRef Deployments = new("apps", "v1", "deployments", true);
}
