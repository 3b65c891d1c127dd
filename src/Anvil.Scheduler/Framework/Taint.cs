namespace Anvil.Scheduler.Framework;

/// <summary>A node taint (key, value, effect NoSchedule|PreferNoSchedule|NoExecute).</summary>
internal sealed record Taint(string Key, string Value, string Effect)
{
    public const string Unschedulable = "node.kubernetes.io/unschedulable";
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";
}
