using System.Globalization;
using System.Text.Json.Nodes;
using Anvil.Machinery.Meta;

namespace Anvil.Controllers.ReplicaSet;

/// <summary>
/// The order in which a ReplicaSet gives up pods on scale-down (controller.ActivePodsWithRanks with the
/// PodDeletionCost and LogarithmicScaleDown features on, as in 1.32): pods earlier in this order go first.
/// </summary>
public sealed class ActivePodsRanking(DateTimeOffset now) : IComparer<(JsonObject Pod, int Rank)>
{
    public const string DeletionCostAnnotation = "controller.kubernetes.io/pod-deletion-cost";

    /// <summary>Picks <paramref name="count"/> pods to delete; <paramref name="related"/> pods sharing a node raise a pod's rank.</summary>
    public static IReadOnlyList<JsonObject> PodsToDelete(IReadOnlyList<JsonObject> pods, IReadOnlyList<JsonObject> related, int count, DateTimeOffset now)
    {
        if (count >= pods.Count) return pods;
        var onNode = new Dictionary<string, int>();
        foreach (var p in related.Where(PodUtil.IsActive))
            onNode[PodUtil.NodeName(p)] = onNode.GetValueOrDefault(PodUtil.NodeName(p)) + 1;
        return pods.Select(p => (Pod: p, Rank: onNode.GetValueOrDefault(PodUtil.NodeName(p))))
            .OrderBy(x => x, new ActivePodsRanking(now))
            .Take(count).Select(x => x.Pod).ToList();
    }

    public int Compare((JsonObject Pod, int Rank) x, (JsonObject Pod, int Rank) y)
    {
        var (a, b) = (x.Pod, y.Pod);
        // 1. Unassigned before assigned.
        var (na, nb) = (PodUtil.NodeName(a), PodUtil.NodeName(b));
        if (na != nb && (na.Length == 0 || nb.Length == 0)) return na.Length == 0 ? -1 : 1;
        // 2. Pending < Unknown < Running.
        var (pa, pb) = (PhaseOrdinal(a), PhaseOrdinal(b));
        if (pa != pb) return pa.CompareTo(pb);
        // 3. Not ready before ready.
        var (ra, rb) = (PodUtil.IsReady(a), PodUtil.IsReady(b));
        if (ra != rb) return ra ? 1 : -1;
        // 4. Lower deletion cost first.
        var (ca, cb) = (DeletionCost(a), DeletionCost(b));
        if (ca != cb) return ca.CompareTo(cb);
        // 5. Doubled up (more related pods on the node) first.
        if (x.Rank != y.Rank) return y.Rank.CompareTo(x.Rank);
        // 6. Ready for less time first, in log2 buckets.
        if (ra && rb)
        {
            var ta = ObjectMeta.ParseTime(PodUtil.Condition(a, "Ready")?["lastTransitionTime"]);
            var tb = ObjectMeta.ParseTime(PodUtil.Condition(b, "Ready")?["lastTransitionTime"]);
            if (ta != tb)
            {
                var c = NewerFirst(ta, tb, a, b);
                if (c != 0) return c;
            }
        }
        // 7. More container restarts first.
        var (sa, sb) = (PodUtil.RestartCount(a), PodUtil.RestartCount(b));
        if (sa != sb) return sb.CompareTo(sa);
        // 8. Newer (or no creation time) first, in log2 buckets.
        var (ka, kb) = (ObjectMeta.ParseTime(a["metadata"]?["creationTimestamp"]), ObjectMeta.ParseTime(b["metadata"]?["creationTimestamp"]));
        if (ka != kb) return NewerFirst(ka, kb, a, b);
        return 0;
    }

    private int NewerFirst(DateTimeOffset? ta, DateTimeOffset? tb, JsonObject a, JsonObject b)
    {
        if (ta == null || tb == null) return ta == null ? -1 : 1;
        var diff = LogRank(ta.Value) - LogRank(tb.Value);
        if (diff == 0) return string.CompareOrdinal(ObjectMeta.Uid(a), ObjectMeta.Uid(b));
        return diff;
    }

    /// <summary>floor(log2(age in ns)), or -1 for no age.</summary>
    private int LogRank(DateTimeOffset t)
    {
        var ns = (now - t).Ticks * 100.0;
        return ns <= 0 ? -1 : (int)Math.Floor(Math.Log2(ns));
    }

    private static int PhaseOrdinal(JsonObject pod) => PodUtil.Phase(pod) switch
    {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    };

    private static int DeletionCost(JsonObject pod) =>
        int.TryParse((string?)pod["metadata"]?["annotations"]?[DeletionCostAnnotation], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var c) ? c : 0;
}
