using System.Text.Json.Nodes;
using Anvil.Machinery.Quantities;

namespace Anvil.Machinery.Quota;

/// <summary>
/// Recomputes a quota's status.used from the objects in its namespace (the quota controller's syncResourceQuota),
/// reading objects through <c>list</c>: (group, resource) → the namespace's objects, or null when the kind is not served.
/// </summary>
public static class QuotaUsage
{
    public delegate Task<IReadOnlyList<JsonObject>?> Lister(string group, string resource, CancellationToken ct);

    /// <summary>Usage of every resource in <paramref name="hardNames"/> (0 for names nothing counts toward).</summary>
    public static async Task<Dictionary<string, Quantity>> CalculateAsync(JsonObject quota, IEnumerable<string> hardNames, Lister list, DateTimeOffset now, CancellationToken ct)
    {
        var names = hardNames.ToList();
        var used = names.ToDictionary(n => n, _ => Quantity.Zero, StringComparer.Ordinal);
        foreach (var source in names.Select(QuotaEvaluator.SourceOf).OfType<(string Group, string Resource)>().Distinct())
        {
            var objects = await list(source.Group, source.Resource, ct).ConfigureAwait(false);
            if (objects == null) continue;
            var tracked = names.Where(n => QuotaEvaluator.Tracks(source.Group, source.Resource, n)).ToList();
            foreach (var obj in objects)
            {
                if (!QuotaEvaluator.MatchesScopes(quota, source.Group, source.Resource, obj)) continue;
                foreach (var (k, v) in ResourceList.Mask(QuotaEvaluator.Usage(source.Group, source.Resource, obj, now), tracked))
                    used[k] = used[k].Add(v);
            }
        }
        return used;
    }

    /// <summary>The names a quota limits: spec.hard's keys.</summary>
    public static IReadOnlyList<string> HardNames(JsonObject quota) =>
        (quota["spec"]?["hard"] as JsonObject)?.Select(p => p.Key).ToList() ?? [];
}
