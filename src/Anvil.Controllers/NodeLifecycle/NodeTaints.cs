using System.Text.Json.Nodes;

namespace Anvil.Controllers.NodeLifecycle;

/// <summary>
/// The taints the node lifecycle controller owns and which ones a node should carry: unschedulable (cordoned),
/// not-ready (Ready=False) and unreachable (Ready=Unknown), the last two both NoSchedule and NoExecute.
/// </summary>
public static class NodeTaints
{
    public const string Unschedulable = "node.kubernetes.io/unschedulable";
    public const string NotReady = "node.kubernetes.io/not-ready";
    public const string Unreachable = "node.kubernetes.io/unreachable";

    private static readonly (string Key, string Effect)[] Managed =
        [(Unschedulable, "NoSchedule"), (NotReady, "NoSchedule"), (Unreachable, "NoSchedule"), (NotReady, "NoExecute"), (Unreachable, "NoExecute")];

    /// <summary>status of the node's condition of <paramref name="type"/>, or null when it has none.</summary>
    public static string? ConditionStatus(JsonObject node, string type) =>
        (node["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(c => (string?)c["type"] == type) is { } c
            ? (string?)c["status"] ?? "" : null;

    public static IEnumerable<(string Key, string Effect)> Wanted(JsonObject node)
    {
        if ((bool?)node["spec"]?["unschedulable"] == true) yield return (Unschedulable, "NoSchedule");
        switch (ConditionStatus(node, "Ready"))
        {
            case "False":
                yield return (NotReady, "NoSchedule");
                yield return (NotReady, "NoExecute");
                break;
            case "Unknown":
                yield return (Unreachable, "NoSchedule");
                yield return (Unreachable, "NoExecute");
                break;
        }
    }

    /// <summary>
    /// The node's taints with the managed ones made to match <see cref="Wanted"/> (new ones stamped
    /// <paramref name="timeAdded"/>; kept ones and every other taint untouched); null when nothing changes.
    /// </summary>
    public static JsonArray? Reconcile(JsonObject node, string timeAdded)
    {
        var current = (node["spec"]?["taints"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var wanted = Wanted(node).ToList();
        static (string, string) Id(JsonObject t) => ((string?)t["key"] ?? "", (string?)t["effect"] ?? "");
        var result = current.Where(t => !Managed.Contains(Id(t)) || wanted.Contains(Id(t))).Select(t => (JsonNode)t.DeepClone()).ToList();
        var changed = result.Count != current.Count;
        foreach (var (key, effect) in wanted)
        {
            if (current.Any(t => Id(t) == (key, effect))) continue;
            result.Add(new JsonObject { ["key"] = key, ["effect"] = effect, ["timeAdded"] = timeAdded });
            changed = true;
        }
        return changed ? new JsonArray(result.ToArray()) : null;
    }

    /// <summary>
    /// When a pod on a node with these NoExecute taints must go (tainteviction): null if it tolerates them all
    /// forever, <paramref name="now"/> if it does not tolerate one, else the time the shortest matching
    /// tolerationSeconds runs out, counted from the newest taint.
    /// </summary>
    public static DateTimeOffset? EvictionTime(IReadOnlyList<JsonObject> noExecuteTaints, JsonArray? tolerations, DateTimeOffset now)
    {
        if (noExecuteTaints.Count == 0) return null;
        var all = (tolerations ?? []).OfType<JsonObject>().ToList();
        long? min = null;
        var forever = true;
        DateTimeOffset since = DateTimeOffset.MinValue;
        foreach (var taint in noExecuteTaints)
        {
            var matching = all.Where(t => Tolerates(t, taint)).ToList();
            if (matching.Count == 0) return now;
            since = Max(since, DateTimeOffset.TryParse((string?)taint["timeAdded"], out var added) ? added : now);
            foreach (var t in matching)
            {
                if (t["tolerationSeconds"] is not JsonValue v || !v.TryGetValue<long>(out var s)) continue;
                forever = false;
                min = Math.Min(min ?? long.MaxValue, Math.Max(s, 0));
            }
        }
        if (forever) return null;
        return since + TimeSpan.FromSeconds(min!.Value);
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    /// <summary>v1.Toleration.ToleratesTaint.</summary>
    public static bool Tolerates(JsonObject toleration, JsonObject taint)
    {
        var effect = (string?)toleration["effect"] ?? "";
        if (effect.Length > 0 && effect != ((string?)taint["effect"] ?? "")) return false;
        var key = (string?)toleration["key"] ?? "";
        if (key.Length > 0 && key != ((string?)taint["key"] ?? "")) return false;
        return ((string?)toleration["operator"] ?? "") switch
        {
            "Exists" => true,
            "" or "Equal" => ((string?)toleration["value"] ?? "") == ((string?)taint["value"] ?? ""),
            _ => false,
        };
    }
}
