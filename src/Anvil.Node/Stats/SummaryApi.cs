using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;

namespace Anvil.Node.Stats;

/// <summary>
/// The kubelet's Summary API document (<c>GET /stats/summary</c>, stats/v1alpha1): the node's and each pod's
/// containers' CPU (<c>usageNanoCores</c>) and memory (<c>workingSetBytes</c>) with the time of the sample, as
/// metrics-server reads them.
/// </summary>
public static class SummaryApi
{
    public static JsonObject Render(string nodeName, StatsSummary summary)
    {
        var node = new JsonObject { ["nodeName"] = nodeName };
        if (summary.Node is { } n)
        {
            node["cpu"] = Cpu(n);
            node["memory"] = Memory(n);
        }
        var pods = new JsonArray();
        foreach (var pod in summary.Containers.GroupBy(c => (c.PodNamespace, c.PodName, c.PodUid)).OrderBy(g => g.Key.PodNamespace, StringComparer.Ordinal).ThenBy(g => g.Key.PodName, StringComparer.Ordinal))
        {
            var containers = new JsonArray();
            foreach (var c in pod.OrderBy(c => c.Container, StringComparer.Ordinal))
                containers.Add(new JsonObject { ["name"] = c.Container, ["cpu"] = Cpu(c.Usage), ["memory"] = Memory(c.Usage) });
            var latest = pod.Select(c => c.Usage.Timestamp).Max();
            pods.Add(new JsonObject
            {
                ["podRef"] = new JsonObject { ["name"] = pod.Key.PodName, ["namespace"] = pod.Key.PodNamespace, ["uid"] = pod.Key.PodUid },
                ["containers"] = containers,
                ["cpu"] = new JsonObject { ["time"] = ObjectMeta.FormatTime(latest), ["usageNanoCores"] = pod.Aggregate(0UL, (s, c) => s + c.Usage.NanoCores) },
                ["memory"] = new JsonObject { ["time"] = ObjectMeta.FormatTime(latest), ["workingSetBytes"] = pod.Aggregate(0UL, (s, c) => s + c.Usage.MemoryBytes) },
            });
        }
        return new JsonObject { ["node"] = node, ["pods"] = pods };
    }

    private static JsonObject Cpu(Usage u) => new() { ["time"] = ObjectMeta.FormatTime(u.Timestamp), ["usageNanoCores"] = u.NanoCores };

    private static JsonObject Memory(Usage u) => new() { ["time"] = ObjectMeta.FormatTime(u.Timestamp), ["workingSetBytes"] = u.MemoryBytes };
}
