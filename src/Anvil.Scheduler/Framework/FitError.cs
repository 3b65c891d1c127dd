namespace Anvil.Scheduler.Framework;

/// <summary>
/// The FailedScheduling message (framework.FitError.Error()): "0/N nodes are available: " with the
/// reasons counted and sorted as strings, then what DefaultPreemption found:
/// <c>0/1 nodes are available: 1 node(s) were unschedulable. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.</c>
/// </summary>
internal static class FitError
{
    public const string NoNodesAvailable = "no nodes available to schedule pods";
    public const string PreemptionNotHelpful = "Preemption is not helpful for scheduling";
    public const string NoPreemptionVictims = "No preemption victims found for incoming pod";

    public static string Message(PodInfo pod, int allNodes, Diagnosis diagnosis)
    {
        var message = Histogram(allNodes, diagnosis.ReasonCounts);
        return message + " preemption: " + PreemptionMessage(pod, allNodes, diagnosis);
    }

    /// <summary>Preemption is not implemented; this is what DefaultPreemption reports when it finds no victims.</summary>
    private static string PreemptionMessage(PodInfo pod, int allNodes, Diagnosis diagnosis)
    {
        if (pod.PreemptionPolicy == "Never") return "not eligible due to preemptionPolicy=Never.";
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        if (diagnosis.UnresolvableNodes > 0) counts[PreemptionNotHelpful] = diagnosis.UnresolvableNodes;
        if (diagnosis.ResolvableNodes > 0) counts[NoPreemptionVictims] = diagnosis.ResolvableNodes;
        return Histogram(allNodes, counts);
    }

    private static string Histogram(int allNodes, Dictionary<string, int> counts)
    {
        var entries = counts.Select(kv => $"{kv.Value} {kv.Key}").ToList();
        entries.Sort(string.CompareOrdinal);
        var message = $"0/{allNodes} nodes are available:";
        if (entries.Count > 0) message += $" {string.Join(", ", entries)}.";
        return message;
    }
}
