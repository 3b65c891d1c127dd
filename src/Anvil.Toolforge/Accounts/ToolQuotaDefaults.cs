namespace Anvil.Toolforge.Accounts;

/// <summary>
/// The ResourceQuota and LimitRange every tool namespace starts with (maintain-kubeusers' defaults; the issue's
/// <c>pods 4</c> where the 2023 source says 10).
/// </summary>
public sealed record ToolQuotaDefaults
{
    public IReadOnlyDictionary<string, string> Hard { get; init; } = new Dictionary<string, string>
    {
        ["requests.cpu"] = "2",
        ["requests.memory"] = "6Gi",
        ["limits.cpu"] = "2",
        ["limits.memory"] = "8Gi",
        ["pods"] = "4",
        ["services"] = "1",
        ["services.nodeports"] = "0",
        ["replicationcontrollers"] = "1",
        ["secrets"] = "10",
        ["configmaps"] = "10",
        ["persistentvolumeclaims"] = "3",
        ["count/cronjobs.batch"] = "50",
        ["count/jobs.batch"] = "15",
        ["count/deployments.apps"] = "3",
    };

    /// <summary>LimitRange type Container: default (limits), defaultRequest, max, min as (cpu, memory).</summary>
    public (string Cpu, string Memory) DefaultLimit { get; init; } = ("500m", "512Mi");
    public (string Cpu, string Memory) DefaultRequest { get; init; } = ("150m", "256Mi");
    public (string Cpu, string Memory) Max { get; init; } = ("1", "4Gi");
    public (string Cpu, string Memory) Min { get; init; } = ("50m", "100Mi");

    public static ToolQuotaDefaults Standard { get; } = new();
}
