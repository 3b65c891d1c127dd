using System.Text.Json.Nodes;
using Anvil.Client;
using Anvil.Machinery.Meta;
using static Anvil.Machinery.Validation.JsonRead;

namespace Anvil.Toolforge.Accounts;

/// <summary>What applying one override did.</summary>
public enum QuotaOverrideResult
{
    Applied,
    /// <summary>The quota already carries this version: nothing written.</summary>
    Unchanged,
}

/// <summary>
/// Writes a <see cref="QuotaOverride"/> to the tool's ResourceQuota (spec.hard, and the applied version in the
/// <c>toolforge.org/quota-version</c> annotation) and, for pod_cpu/pod_memory, its LimitRange max.
/// </summary>
public static class QuotaOverrideApplier
{
    public static async Task<QuotaOverrideResult> ApplyAsync(KubeClient client, QuotaOverride o, ToolQuotaDefaults defaults, CancellationToken ct)
    {
        var ns = ToolNames.Namespace(o.Tool);
        var quota = await client.GetAsync(ToolforgeResources.ResourceQuotas, ns, ns, ct).ConfigureAwait(false);
        if (Str(ObjectMeta.Annotations(quota)?[ToolAccountLabels.QuotaVersion]) == o.Version) return QuotaOverrideResult.Unchanged;
        if (o.LimitRangeMax(defaults) is { } max)
        {
            var lr = await client.GetAsync(ToolforgeResources.LimitRanges, ns, ns, ct).ConfigureAwait(false);
            var limits = lr["spec"]?["limits"] as JsonArray ?? [];
            var item = limits.OfType<JsonObject>().FirstOrDefault(l => Str(l["type"]) == "Container");
            if (item == null)
            {
                item = ToolObjects.LimitRangeItem(defaults);
                limits.Add(item);
            }
            item["max"] = new JsonObject { ["cpu"] = max.Cpu, ["memory"] = max.Memory };
            await client.PatchAsync(ToolforgeResources.LimitRanges, ns, ns, new JsonObject
            {
                ["metadata"] = new JsonObject { ["resourceVersion"] = ObjectMeta.ResourceVersion(lr) },
                ["spec"] = new JsonObject { ["limits"] = limits.DeepClone() },
            }, ct: ct).ConfigureAwait(false);
        }
        var hard = new JsonObject();
        foreach (var (k, v) in o.Hard(defaults.Hard).OrderBy(kv => kv.Key, StringComparer.Ordinal)) hard[k] = v;
        // Keys the defaults do not have and the override does not set are dropped (merge patch with nulls).
        foreach (var (k, _) in quota["spec"]?["hard"] as JsonObject ?? [])
            if (!hard.ContainsKey(k)) hard[k] = null;
        await client.PatchAsync(ToolforgeResources.ResourceQuotas, ns, ns, new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = ObjectMeta.ResourceVersion(quota),
                ["annotations"] = new JsonObject { [ToolAccountLabels.QuotaVersion] = o.Version },
            },
            ["spec"] = new JsonObject { ["hard"] = hard },
        }, ct: ct).ConfigureAwait(false);
        return QuotaOverrideResult.Applied;
    }
}
