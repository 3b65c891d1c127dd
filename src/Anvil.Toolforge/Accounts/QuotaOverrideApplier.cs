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
/// Writes a <see cref="QuotaOverride"/> on top of the current defaults to the tool's ResourceQuota (spec.hard,
/// the version in <c>toolforge.org/quota-version</c>, the override itself in <c>toolforge.org/quota-override</c>)
/// and its LimitRange (the Container max for pod_cpu/pod_memory).
/// </summary>
public static class QuotaOverrideApplier
{
    public static async Task<QuotaOverrideResult> ApplyAsync(KubeClient client, QuotaOverride o, ToolQuotaDefaults defaults, CancellationToken ct)
    {
        var ns = ToolNames.Namespace(o.Tool);
        var quota = await client.GetAsync(ToolforgeResources.ResourceQuotas, ns, ns, ct).ConfigureAwait(false);
        if (Str(ObjectMeta.Annotations(quota)?[ToolAccountLabels.QuotaVersion]) == o.Version) return QuotaOverrideResult.Unchanged;
        // The LimitRange always follows (an override without pod_cpu/pod_memory puts the default max back).
        var lr = await client.GetAsync(ToolforgeResources.LimitRanges, ns, ns, ct).ConfigureAwait(false);
        await client.PatchAsync(ToolforgeResources.LimitRanges, ns, ns, ToolQuotaConfig.LimitRangePatch(lr, defaults, o), ct: ct).ConfigureAwait(false);
        await client.PatchAsync(ToolforgeResources.ResourceQuotas, ns, ns, ToolQuotaConfig.QuotaPatch(quota, defaults, o), ct: ct).ConfigureAwait(false);
        return QuotaOverrideResult.Applied;
    }
}
