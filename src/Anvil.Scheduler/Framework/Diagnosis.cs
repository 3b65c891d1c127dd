namespace Anvil.Scheduler.Framework;

/// <summary>Why no node fit: per-node filter statuses, counted.</summary>
internal sealed class Diagnosis
{
    public Dictionary<string, int> ReasonCounts { get; } = new(StringComparer.Ordinal);
    /// <summary>Nodes rejected with <see cref="FilterCode.Unschedulable"/>, where preemption might help.</summary>
    public int ResolvableNodes { get; private set; }
    public int UnresolvableNodes { get; private set; }

    public void Add(FilterStatus status)
    {
        if (status.Code == FilterCode.Unschedulable) ResolvableNodes++;
        else UnresolvableNodes++;
        foreach (var r in status.Reasons) ReasonCounts[r] = ReasonCounts.TryGetValue(r, out var n) ? n + 1 : 1;
    }
}
